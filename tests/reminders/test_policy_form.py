"""The reminder-policy form shows a policy in fields that read back as the same policy."""

import pytest

from service.reminders.policy import (
    DEFAULT_POLICY,
    EarlyWarning,
    Policy,
    ProgressRequests,
    Step,
    policy_from_json,
)
from service.reminders.policy_form import form_from_policy, policy_from_form, step_rows

CUSTOM = Policy(
    steps=(
        Step(offset=-5, unit="days", level="blue", audiences=("department", "head"), channels=("email",)),
        Step(offset=0, level="yellow"),
        Step(offset=3, level="red", audiences=("department", "leader"), channels=("wecom", "dingtalk"), repeat_every=4),
    ),
    unacknowledged=None,
    early_warning=EarlyWarning(share=0.25, audiences=("office",)),
    progress=ProgressRequests(day_of_month=20, workdays_before=2, weekly_cap=3, channels=("feishu",)),
)


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, CUSTOM], ids=["default", "custom"])
def test_the_form_of_a_policy_reads_back_as_that_policy(policy):
    fields = form_from_policy(policy, True, blank_steps=2)
    assert step_rows(fields) == list(range(len(policy.steps) + 2))
    assert [fields[f"step-{n}-side"] for n in step_rows(fields)[-2:]] == [[""], [""]]
    assert policy_from_json(policy_from_form(fields)) == policy
    assert fields["link_reporting"] == ["1"]


def test_a_nudge_that_is_off_shows_its_defaults_unticked():
    fields = form_from_policy(CUSTOM, False, blank_steps=0)
    assert fields["unack-on"] == [] and fields["unack-after_workdays"] == ["2"]
    assert fields["unack-audience"] == ["department"] and fields["unack-channel"] == []
    assert fields["early-share"] == ["25"] and fields["progress-channel"] == ["feishu"]
    assert fields["link_reporting"] == []
