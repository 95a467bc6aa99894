"""The milestone state machine, called directly: each allowed and each refused transition."""

from datetime import date, timedelta

import pytest

from service.audit.models import AuditEvent
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.milestones import service as workflow
from service.milestones.models import APPROVED, Milestone
from tests.factories import NOW, build_world, milestones_of


@pytest.fixture
def setup(session):
    world = build_world(session)
    lead = milestones_of(session, world, "ip")[0]
    return session, world, lead


def test_activation_creates_lead_and_earlier_support_milestones(setup):
    session, world, lead = setup
    support = milestones_of(session, world, "dev")[0]
    assert lead.due_date == date(2026, 12, 31)
    # Five workdays before Thursday 2026-12-31 is Thursday 2026-12-24.
    assert support.due_date == date(2026, 12, 24)
    assert (lead.state, support.state) == ("pending", "pending")


def test_acknowledge_then_report_then_approve(setup):
    session, world, lead = setup
    user = world.actor(session, "ip_user")
    admin = world.actor(session, "city_admin")
    workflow.acknowledge(session, user, lead.id, now=NOW)
    assert lead.state == "acknowledged" and lead.acknowledged_at == NOW
    workflow.submit_report(session, user, lead.id, text="已完成方案起草", percent=60, now=NOW)
    assert lead.state == "submitted"
    workflow.review(session, admin, lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    assert lead.state == APPROVED and lead.approved_at == NOW


def test_report_without_acknowledging_acknowledges(setup):
    session, world, lead = setup
    workflow.submit_report(session, world.actor(session, "ip_user"), lead.id, text="进展", percent=10, now=NOW)
    assert lead.state == "submitted" and lead.acknowledged_at == NOW


def test_return_and_resubmit(setup):
    session, world, lead = setup
    user, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    workflow.submit_report(session, user, lead.id, text="初稿", percent=50, now=NOW)
    workflow.review(session, admin, lead.id, decision="return", comment="请补充数据", now=NOW)
    assert lead.state == "returned"
    workflow.submit_report(session, user, lead.id, text="补充稿", percent=90, now=NOW)
    assert lead.state == "submitted"
    assert [r.text for r in workflow.reports_of(session, lead)] == ["初稿", "补充稿"]


def test_acknowledge_twice_is_refused_naming_the_state(setup):
    session, world, lead = setup
    user = world.actor(session, "ip_user")
    workflow.acknowledge(session, user, lead.id, now=NOW)
    with pytest.raises(Conflict, match="已签收"):
        workflow.acknowledge(session, user, lead.id, now=NOW)


def test_review_of_unsubmitted_milestone_is_refused(setup):
    session, world, lead = setup
    with pytest.raises(Conflict, match="待签收"):
        workflow.review(session, world.actor(session, "city_admin"), lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)


def test_return_needs_a_comment(setup):
    session, world, lead = setup
    workflow.submit_report(session, world.actor(session, "ip_user"), lead.id, text="x", percent=5, now=NOW)
    with pytest.raises(Invalid, match="意见"):
        workflow.review(session, world.actor(session, "city_admin"), lead.id, decision="return", comment=" ", now=NOW)


def test_approved_is_final_until_reopened(setup):
    session, world, lead = setup
    user, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    workflow.submit_report(session, user, lead.id, text="完成", percent=100, now=NOW)
    workflow.review(session, admin, lead.id, decision="approve", comment="好", now=NOW, confirm_below_100=True)
    with pytest.raises(Conflict, match="已办结"):
        workflow.submit_report(session, user, lead.id, text="再报", percent=100, now=NOW)
    with pytest.raises(Conflict):
        workflow.request_extension(session, user, lead.id, new_due_date=date(2027, 3, 1), reason="r", now=NOW)
    workflow.reopen(session, admin, lead.id, comment="数据有误", now=NOW)
    assert lead.state == "returned" and lead.approved_at is None
    workflow.submit_report(session, user, lead.id, text="更正", percent=100, now=NOW)
    assert lead.state == "submitted"


def test_reopen_only_from_approved(setup):
    session, world, lead = setup
    with pytest.raises(Conflict, match="待签收"):
        workflow.reopen(session, world.actor(session, "city_admin"), lead.id, comment="x", now=NOW)


def test_report_percent_and_text_are_validated(setup):
    session, world, lead = setup
    user = world.actor(session, "ip_user")
    with pytest.raises(Invalid):
        workflow.submit_report(session, user, lead.id, text="x", percent=101, now=NOW)
    with pytest.raises(Invalid):
        workflow.submit_report(session, user, lead.id, text="   ", percent=10, now=NOW)
    assert lead.state == "pending"


def test_extension_approved_moves_due_date_and_bumps_version(setup):
    session, world, lead = setup
    user, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    request = workflow.request_extension(
        session, user, lead.id, new_due_date=date(2027, 2, 26), reason="等待省级批复", now=NOW
    )
    with pytest.raises(Conflict, match="待审批"):
        workflow.request_extension(session, user, lead.id, new_due_date=date(2027, 3, 1), reason="r", now=NOW)
    workflow.decide_extension(session, admin, request.id, approve=True, comment="同意", now=NOW)
    assert lead.due_date == date(2027, 2, 26) and lead.due_version == 2
    with pytest.raises(Conflict, match="已处理"):
        workflow.decide_extension(session, admin, request.id, approve=False, comment=None, now=NOW)


def test_extension_rejected_keeps_due_date(setup):
    session, world, lead = setup
    user, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    request = workflow.request_extension(session, user, lead.id, new_due_date=date(2027, 2, 26), reason="r", now=NOW)
    workflow.decide_extension(session, admin, request.id, approve=False, comment="不同意", now=NOW)
    assert lead.due_date == date(2026, 12, 31) and lead.due_version == 1
    assert request.status == "rejected"


def test_extension_must_move_the_date_later(setup):
    session, world, lead = setup
    with pytest.raises(Invalid, match="晚于"):
        workflow.request_extension(
            session, world.actor(session, "ip_user"), lead.id,
            new_due_date=lead.due_date - timedelta(days=1), reason="r", now=NOW,
        )


def test_department_cannot_touch_another_departments_milestone(setup):
    session, world, lead = setup
    with pytest.raises(NotFound):
        workflow.acknowledge(session, world.actor(session, "dev_user"), lead.id, now=NOW)


def test_leader_and_admin_cannot_report(setup):
    session, world, lead = setup
    for username in ("city_leader", "city_admin"):
        with pytest.raises(Forbidden):
            workflow.submit_report(session, world.actor(session, username), lead.id, text="x", percent=1, now=NOW)


def test_parent_office_reads_but_does_not_review_child_work(setup):
    session, world, _ = setup
    child = milestones_of(session, world, "yuexiu_ip")[0]
    city_admin = world.actor(session, "city_admin")
    assert workflow.get_milestone(session, city_admin, child.id).id == child.id
    workflow.submit_report(session, world.actor(session, "yuexiu_user"), child.id, text="x", percent=1, now=NOW)
    with pytest.raises(Forbidden, match="上级"):
        workflow.review(session, city_admin, child.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    with pytest.raises(NotFound):
        workflow.get_milestone(session, world.actor(session, "district_admin"), milestones_of(session, world, "ip")[0].id)


def test_lead_sees_support_contributions(setup):
    session, world, lead = setup
    support = milestones_of(session, world, "dev")[0]
    workflow.submit_report(session, world.actor(session, "dev_user"), support.id, text="配合意见", percent=100, now=NOW)
    contributions = workflow.contributions_for(session, lead)
    assert [(m.id, r.text) for m, r in contributions] == [(support.id, "配合意见")]
    assert workflow.contributions_for(session, support) == []


def test_every_change_is_audited(setup):
    session, world, lead = setup
    user, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    workflow.acknowledge(session, user, lead.id, now=NOW)
    workflow.submit_report(session, user, lead.id, text="x", percent=100, now=NOW)
    workflow.review(session, admin, lead.id, decision="approve", comment=None, now=NOW)
    session.flush()
    events = (
        session.query(AuditEvent).filter_by(entity_type="milestone", entity_id=lead.id).order_by(AuditEvent.id).all()
    )
    assert [e.action for e in events] == ["milestone.acknowledge", "milestone.report", "milestone.approve"]
    assert events[0].before["state"] == "pending" and events[0].after["state"] == "acknowledged"
    assert events[2].actor_name == "city_admin"


def test_overdue_is_derived_from_the_date(setup):
    session, world, lead = setup
    assert not workflow.is_overdue(lead, date(2026, 12, 31))
    assert workflow.is_overdue(lead, date(2027, 1, 1))
    lead.state = APPROVED
    assert not workflow.is_overdue(lead, date(2027, 1, 1))
    assert isinstance(lead, Milestone)
