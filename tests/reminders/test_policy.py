"""The pure ladder rule, time-travelled across the 2026 National Day holiday.

Due 2026-10-09 (Friday). Days off: 9-25 (Mid-Autumn), 10-01..10-07; 10-10 (Saturday)
is a make-up workday. Send hour 09:00 Asia/Shanghai = 01:00 UTC.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service.errors import Invalid
from service.reminders.policy import (
    DEFAULT_POLICY,
    EarlyWarning,
    MilestoneFacts,
    ProgressRequests,
    evaluate,
    policy_from_json,
    step_day,
)
from service.workdays import WorkdayCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar()
DUE = date(2026, 10, 9)
ISSUED = datetime(2026, 9, 1, 1, tzinfo=timezone.utc)
FACTS = MilestoneFacts(DUE, "acknowledged", ISSUED, date(2026, 9, 1), reported=False)
NO_ACK = replace(DEFAULT_POLICY, unacknowledged=None)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


EXPECTED = [
    ("T-7", "blue", utc(2026, 9, 22, 1)),
    ("T-3", "blue", utc(2026, 9, 29, 1)),
    ("T-1", "blue", utc(2026, 10, 8, 1)),
    ("T0", "blue", utc(2026, 10, 9, 1)),
    ("T+1", "yellow", utc(2026, 10, 10, 1)),  # the make-up Saturday is a workday
    ("T+3", "yellow", utc(2026, 10, 13, 1)),
    ("T+7", "red", utc(2026, 10, 19, 1)),
    ("T+12", "red", utc(2026, 10, 26, 1)),
    ("T+17", "red", utc(2026, 11, 2, 1)),
]


def fire_sequence(facts, policy, start, end):
    """Follow next_at like the scan does; collect what fires at each instant."""
    fired, now = [], start
    while now <= end:
        result = evaluate(facts, policy, CAL, TZ, 9, now)
        if result.due and (not fired or fired[-1][0] != result.due.step):
            fired.append((result.due.step, result.due.level, now))
        if result.next_at is None:
            break
        assert result.next_at > now
        now = result.next_at
    return fired


def test_national_day_ladder_fires_each_step_once_at_its_instant():
    assert fire_sequence(FACTS, NO_ACK, ISSUED, utc(2026, 11, 2, 1)) == EXPECTED


def test_minute_by_minute_around_the_holiday_each_step_is_due_from_its_instant_on():
    for step, _level, instant in EXPECTED[1:5]:
        before = evaluate(FACTS, NO_ACK, CAL, TZ, 9, instant - timedelta(minutes=1)).due
        at = evaluate(FACTS, NO_ACK, CAL, TZ, 9, instant).due
        assert before is None or before.step != step
        assert at.step == step and at.fire_at == instant


def test_no_flood_after_downtime_only_the_most_severe_step_is_due():
    # Down from before T-7 until T+4: one evaluation, one step, the 催办 one.
    result = evaluate(FACTS, NO_ACK, CAL, TZ, 9, utc(2026, 10, 14, 3))
    assert (result.due.step, result.due.level) == ("T+3", "yellow")
    assert result.next_at == utc(2026, 10, 19, 1)


def test_closed_milestones_get_nothing():
    for state in ("submitted", "approved"):
        result = evaluate(replace(FACTS, state=state), NO_ACK, CAL, TZ, 9, utc(2026, 10, 20, 1))
        assert result == (None, None, None) or (result.due, result.next_at) == (None, None)


def test_steps_before_the_assignment_was_issued_never_fire():
    late_issue = replace(FACTS, issued_at=utc(2026, 10, 8, 3))
    result = evaluate(late_issue, NO_ACK, CAL, TZ, 9, utc(2026, 10, 8, 4))
    assert result.due is None and result.next_at == utc(2026, 10, 9, 1)


def test_unacknowledged_reminder_while_pending_only():
    pending = replace(FACTS, state="pending")
    result = evaluate(pending, DEFAULT_POLICY, CAL, TZ, 9, utc(2026, 9, 3, 1))
    assert result.due.step == "ack" and result.due.day == date(2026, 9, 3)
    assert evaluate(FACTS, DEFAULT_POLICY, CAL, TZ, 9, utc(2026, 9, 3, 1)).due is None


def test_other_timezone_and_send_hour_move_the_instant():
    result = evaluate(FACTS, NO_ACK, CAL, ZoneInfo("Asia/Urumqi"), 10, utc(2026, 10, 13, 5))
    assert result.due.step == "T+3" and result.due.fire_at == utc(2026, 10, 13, 4)


def test_calendar_day_steps_move_off_days_off():
    assert step_day(DUE, -7, "days", CAL) == date(2026, 9, 30)  # 10-02 holiday → previous workday
    assert step_day(DUE, 3, "days", CAL) == date(2026, 10, 12)  # 10-12 is Monday: a workday
    assert step_day(DUE, 2, "days", CAL) == date(2026, 10, 12)  # Sunday 10-11 → next workday
    assert step_day(date(2026, 10, 4), 0, "days", CAL) == date(2026, 9, 30)


def test_early_warning_when_under_a_share_of_the_phase_is_left_without_a_report():
    policy = replace(NO_ACK, early_warning=EarlyWarning(share=0.3))
    # Phase 2026-09-01 .. 10-09 is 38 days; 30% = 12 days → 09-27 (Sunday off) → 09-24.
    result = evaluate(FACTS, policy, CAL, TZ, 9, utc(2026, 9, 24, 1))
    assert (result.due.kind, result.due.day) == ("early_warning", date(2026, 9, 24))
    reported = evaluate(replace(FACTS, reported=True), policy, CAL, TZ, 9, utc(2026, 9, 24, 1))
    assert reported.due.step == "T-7"


def test_monthly_progress_requests_for_milestones_in_progress():
    policy = replace(NO_ACK, progress=ProgressRequests(day_of_month=28, workdays_before=3))
    long_facts = replace(FACTS, due_date=date(2026, 12, 31))
    # 2026-10-28 is Wednesday; three workdays before: Friday 10-23.
    assert evaluate(long_facts, policy, CAL, TZ, 9, utc(2026, 10, 22, 1)).next_at == utc(2026, 10, 23, 1)
    due = evaluate(long_facts, policy, CAL, TZ, 9, utc(2026, 10, 23, 1)).progress
    assert (due.step, due.kind) == ("progress:2026-10", "progress_request")
    # The ladder chases a milestone falling due before the reporting day instead.
    assert evaluate(FACTS, policy, CAL, TZ, 9, utc(2026, 10, 23, 1)).progress is None


def test_policy_json_round_trip_and_validation():
    assert policy_from_json(DEFAULT_POLICY.to_json()) == DEFAULT_POLICY
    bad = [
        {"steps": []},
        {"steps": [{"offset": 1, "level": "green"}]},
        {"steps": [{"offset": 1, "audiences": ["mayor"]}]},
        {"steps": [{"offset": 1}, {"offset": 1}]},
        {"steps": [{"offset": 1, "repeat_every": 3}, {"offset": 5}]},
        {"steps": [{"offset": "1"}]},
        {"steps": [{"offset": 1}], "early_warning": {"share": 1.5}},
        {"steps": [{"offset": 1, "channels": ["fax"]}]},
    ]
    for data in bad:
        with pytest.raises(Invalid):
            policy_from_json(data)
