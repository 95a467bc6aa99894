"""The 督办件: one work-list row per measure × department, signed once, progress apart from 办结."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from service.auth.actor import Actor
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.milestones import assignments
from service.milestones import service as workflow
from service.milestones.models import APPROVED, Milestone, ProgressReport
from service.plans.models import Assignment
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world, simple_plan

TODAY = date(2026, 11, 2)
SOON = WorkdayCalendar().add_workdays(TODAY, assignments.DUE_SOON_WORKDAYS)


def phased_plan(session, world, measures=3):
    """A city plan in two phases: each of 市知识产权局's measures is one 督办件 with two checkpoints."""
    actor = Actor.system(world.offices["city"].id)
    body = simple_plan("市知识产权局", ["市发展改革委"], deadlines=("2026-11-06", "2027-06-30"), measures=measures)
    created = create_plan_from_parsed(session, actor, body, now=NOW)
    activate_plan(session, actor, created.plan.id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=5)
    session.flush()
    return created.plan.id


@pytest.fixture
def setup(session):
    world = build_world(session)
    plan_id = phased_plan(session, world)
    return session, world, plan_id


def _list(session, actor, **filters):
    return assignments.list_assignments(session, actor, today=TODAY, due_soon_until=SOON, **filters)


def test_one_row_per_measure_with_its_checkpoints_inside(setup):
    session, world, plan_id = setup
    ip = world.actor(session, "ip_user")
    items, total = _list(session, ip, plan_id=plan_id)
    assert total == 3 and len(items) == 3
    assert [len(i.milestones) for i in items] == [2, 2, 2]
    first = items[0]
    assert first.current.due_date == date(2026, 11, 6) and [m.due_date for m in first.later] == [date(2027, 6, 30)]
    # The other department's items are not in the list.
    assert {i.assignment.department_id for i in items} == {world.departments["ip"].id}


def test_batch_sign_covers_every_checkpoint_and_counts_once(setup):
    session, world, plan_id = setup
    ip = world.actor(session, "ip_user")
    assert assignments.unsigned_count(session, ip, plan_id=plan_id) == 3
    assert assignments.sign_batch(session, ip, plan_id=plan_id, now=NOW) == 3
    assert assignments.sign_batch(session, ip, plan_id=plan_id, now=NOW) == 0
    signed = session.scalars(select(Assignment).where(Assignment.department_id == world.departments["ip"].id)).all()
    assert all(a.signed_at == NOW and a.signed_by == world.users["ip_user"].id for a in signed if a.measure.plan_id == plan_id)
    states = session.scalars(
        select(Milestone.state).where(Milestone.plan_id == plan_id, Milestone.department_id == world.departments["ip"].id)
    ).all()
    assert set(states) == {"acknowledged"} and len(states) == 6
    # The support unit's items are its own to sign.
    assert _list(session, world.actor(session, "dev_user"), plan_id=plan_id, status="unsigned")[1] == 3


def test_batch_sign_refuses_other_departments_items_and_non_departments(setup):
    session, world, plan_id = setup
    dev_items, _ = _list(session, world.actor(session, "dev_user"), plan_id=plan_id)
    with pytest.raises(NotFound):
        assignments.sign_batch(session, world.actor(session, "ip_user"), ids=[dev_items[0].assignment.id], now=NOW)
    with pytest.raises(Forbidden):
        assignments.sign_batch(session, world.actor(session, "city_admin"), plan_id=plan_id, now=NOW)
    with pytest.raises(Invalid):
        assignments.sign_batch(session, world.actor(session, "dev_user"), now=NOW)


def test_acknowledging_one_checkpoint_signs_the_whole_item(setup):
    session, world, plan_id = setup
    ip = world.actor(session, "ip_user")
    item = _list(session, ip, plan_id=plan_id)[0][0]
    workflow.acknowledge(session, ip, item.milestones[0].id, now=NOW)
    assert item.assignment.signed_at == NOW
    session.refresh(item.milestones[1])
    assert item.milestones[1].state == "acknowledged"
    with pytest.raises(Conflict):
        workflow.acknowledge(session, ip, item.milestones[1].id, now=NOW)


def test_progress_never_closes_anything_and_the_office_reads_or_asks_for_more(setup):
    session, world, plan_id = setup
    ip, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    item = _list(session, ip, plan_id=plan_id)[0][0]
    report = assignments.submit_progress(
        session, ip, item.assignment.id, text="完成调研", percent=30,
        attachments=[assignments.AttachmentUpload("a.pdf", "application/pdf", b"%PDF")], now=NOW,
    )
    assert report.attachments[0].progress_report_id == report.id and report.attachments[0].report_id is None
    # Reporting progress signs an unsigned item but changes no checkpoint beyond that.
    assert item.assignment.signed_at == NOW
    assert [m.state for m in assignments.get_work_item(session, ip, item.assignment.id).milestones] == ["acknowledged"] * 2
    with pytest.raises(Forbidden):
        assignments.review_progress(session, ip, report.id, decision="read", comment=None, now=NOW)
    with pytest.raises(Invalid):
        assignments.review_progress(session, admin, report.id, decision="more", comment=" ", now=NOW)
    assignments.review_progress(session, admin, report.id, decision="more", comment="请补充调研数据", now=NOW)
    assert (report.review, report.review_comment) == ("more", "请补充调研数据")
    with pytest.raises(Conflict):
        assignments.review_progress(session, admin, report.id, decision="read", comment=None, now=NOW)
    assert _list(session, ip, plan_id=plan_id)[0][0].latest_progress.percent == 30


def test_progress_checks_size_rights_and_a_closed_item(setup):
    session, world, plan_id = setup
    ip, dev = world.actor(session, "ip_user"), world.actor(session, "dev_user")
    item = _list(session, ip, plan_id=plan_id)[0][0]
    with pytest.raises(NotFound):
        assignments.submit_progress(session, dev, item.assignment.id, text="x", percent=1, now=NOW)
    with pytest.raises(Forbidden):
        assignments.submit_progress(session, world.actor(session, "city_admin"), item.assignment.id, text="x", percent=1, now=NOW)
    with pytest.raises(Invalid):
        assignments.submit_progress(
            session, ip, item.assignment.id, text="x", percent=1, now=NOW, max_attachment_bytes=2,
            attachments=[assignments.AttachmentUpload("a.pdf", "application/pdf", b"%PDF")],
        )
    for m in item.milestones:
        m.state = APPROVED
    session.flush()
    with pytest.raises(Conflict):
        assignments.submit_progress(session, ip, item.assignment.id, text="x", percent=1, now=NOW)
    assert session.scalars(select(ProgressReport)).all() == []


def test_completion_below_100_needs_confirmation_and_the_last_checkpoint_closes_the_item(setup):
    session, world, plan_id = setup
    ip, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    item = _list(session, ip, plan_id=plan_id)[0][0]
    first, second = item.milestones
    workflow.submit_report(session, ip, first.id, text="阶段完成", percent=80, now=NOW)
    with pytest.raises(Conflict, match="80%"):
        workflow.review(session, admin, first.id, decision="approve", comment=None, now=NOW)
    assert first.state == "submitted"
    workflow.review(session, admin, first.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    assert _list(session, ip, plan_id=plan_id, status="done")[1] == 0
    workflow.submit_report(session, ip, second.id, text="全部完成", percent=100, now=NOW)
    workflow.review(session, admin, second.id, decision="approve", comment=None, now=NOW)
    done, total = _list(session, ip, plan_id=plan_id, status="done")
    assert total == 1 and done[0].current is None and done[0].closed == 2


def test_status_filters_and_search(setup):
    session, world, plan_id = setup
    ip, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    items, _ = _list(session, ip, plan_id=plan_id)
    a, b, c = items
    assignments.sign(session, ip, [a.assignment], now=NOW)
    workflow.submit_report(session, ip, b.milestones[0].id, text="完成", percent=100, now=NOW)
    workflow.submit_report(session, ip, c.milestones[0].id, text="完成", percent=100, now=NOW)
    workflow.review(session, admin, c.milestones[0].id, decision="return", comment="补充", now=NOW)

    def ids(**f):
        return [i.assignment.id for i in _list(session, ip, plan_id=plan_id, **f)[0]]

    assert ids(status="unsigned") == []
    assert ids(status="awaiting_review") == [b.assignment.id]
    assert ids(status="returned") == [c.assignment.id]
    # The first checkpoints fall due on Friday 2026-11-06, within 7 workdays; none is overdue yet.
    assert ids(status="due_soon") == [a.assignment.id, c.assignment.id]
    assert ids(status="overdue") == []
    overdue = assignments.list_assignments(
        session, ip, today=date(2026, 11, 9), due_soon_until=date(2026, 11, 18), plan_id=plan_id, status="overdue"
    )[0]
    # Overdue until approved, awaiting review or not (the design's derived overdue).
    assert [i.assignment.id for i in overdue] == [a.assignment.id, b.assignment.id, c.assignment.id]
    assert ids(q=a.assignment.measure.text[-6:]) == [a.assignment.id]
    assert ids(q="%") == []
    with pytest.raises(Invalid):
        ids(status="late")
    page, total = _list(session, ip, plan_id=plan_id, page=2, per_page=2)
    assert total == 3 and [i.assignment.id for i in page] == [c.assignment.id]
    with pytest.raises(Invalid):
        _list(session, ip, per_page=51)


def test_reporting_cycle_windows():
    assert assignments.cycle_window("none", None, TODAY) is None
    assert assignments.cycle_window("weekly", None, date(2026, 11, 4)) == (date(2026, 11, 2), date(2026, 11, 8))
    assert assignments.cycle_window("monthly", 25, date(2026, 11, 30)) == (date(2026, 11, 26), date(2026, 12, 25))
    assert assignments.cycle_window("monthly", 25, date(2026, 1, 10)) == (date(2025, 12, 26), date(2026, 1, 25))
    assert assignments.cycle_window("quarterly", None, date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 12, 31))


def test_a_plans_reporting_cycle_and_each_units_reporting_in_it(setup):
    from zoneinfo import ZoneInfo

    from service.plans.service import set_reporting_cycle

    session, world, plan_id = setup
    admin, ip = world.actor(session, "city_admin"), world.actor(session, "ip_user")
    with pytest.raises(Invalid):
        set_reporting_cycle(session, admin, plan_id, cycle="monthly", day=None, now=NOW)
    with pytest.raises(Forbidden):
        set_reporting_cycle(session, ip, plan_id, cycle="weekly", day=None, now=NOW)
    with pytest.raises(NotFound):
        set_reporting_cycle(session, world.actor(session, "other_admin"), plan_id, cycle="weekly", day=None, now=NOW)
    tz = ZoneInfo("Asia/Shanghai")
    assert assignments.reporting_rates(session, admin, today=TODAY, tz=tz) == {}
    set_reporting_cycle(session, admin, plan_id, cycle="weekly", day=None, now=NOW)
    items, _ = _list(session, ip, plan_id=plan_id)
    assignments.submit_progress(session, ip, items[0].assignment.id, text="本周进展", percent=10, now=NOW)
    assignments.submit_progress(session, ip, items[1].assignment.id, text="上周进展", percent=10, now=NOW - timedelta(days=7))
    rates = assignments.reporting_rates(session, admin, today=TODAY, tz=tz)
    ip_rate = rates[world.departments["ip"].id]
    assert (ip_rate.owing, ip_rate.reported_now, ip_rate.reported_last) == (3, 1, 1)
    assert rates[world.departments["dev"].id].reported_now == 0
