"""The ladder's side tracks against a database: the 未签收 reminder, the early
warning, and progress requests under their weekly cap per department (基层减负).

The reminder world's plan was issued 2026-09-01 with one measure due 2026-10-09 (lead 市知识产权局
with a WeCom robot and two addresses, support 市发展改革委 with one address).
"""

from datetime import date, timedelta

from sqlalchemy import select, update

from service.delivery.models import Notification
from service.delivery.service import digest_bodies
from service.milestones import service as workflow
from service.milestones.models import Milestone
from service.plans.models import Plan
from service.reminders import service as reminders
from service.reminders.models import SentReminder
from service.reminders.policy import DEFAULT_POLICY
from service.reminders.scan import run_scan
from service.auth.actor import Actor
from service.auth.models import ROLE_DEPARTMENT
from tests.reminders.conftest import ACTIVATED, CALENDAR, add_measures, utc

LEAD_RECIPIENTS = {"lead-key", "ip@example.cn", "ip2@example.cn"}


def department_actor(reminder_world, department: str) -> Actor:
    return Actor(None, department, reminder_world["office_id"], ROLE_DEPARTMENT, reminder_world[f"{department}_id"],
                 frozenset({reminder_world["office_id"]}))


def set_policy(session_factory, reminder_world, **nudges) -> None:
    with session_factory.begin() as session:
        reminders.set_policy(session, reminder_world["actor"], session.get(Plan, reminder_world["plan_id"]),
                             DEFAULT_POLICY.to_json() | nudges, link_reporting=False, now=ACTIVATED)


def ledger(session_factory, *, step_prefix: str, milestone_id: int | None = None) -> list[SentReminder]:
    with session_factory() as session:
        query = select(SentReminder).where(SentReminder.step.startswith(step_prefix))
        if milestone_id is not None:
            query = query.where(SentReminder.milestone_id == milestone_id)
        return list(session.scalars(query.order_by(SentReminder.id)))


def targets_of(session_factory, kind: str, since=None) -> list[tuple[str, object]]:
    with session_factory() as session:
        query = select(Notification.target, Notification.created_at).where(Notification.kind == kind)
        if since is not None:
            query = query.where(Notification.created_at >= since)
        return sorted(tuple(row) for row in session.execute(query))


def scan_daily(session_factory, settings, start: date, end: date) -> None:
    """Scan just before, at and after the send hour of every day, like the minute timer would."""
    day = start
    while day <= end:
        for minutes in (-1, 0, 30):
            run_scan(session_factory, settings, CALENDAR, utc(day.year, day.month, day.day, 1) + timedelta(minutes=minutes))
        day += timedelta(days=1)


def mark_for_rescan(session_factory, milestone_id: int, now) -> None:
    """What a restart that lost the next reminder times does: look at it again now."""
    with session_factory.begin() as session:
        session.execute(update(Milestone).where(Milestone.id == milestone_id).values(next_reminder_at=now))


def report_and_return(session_factory, reminder_world, milestone_id: int, department: str, reported_at) -> None:
    with session_factory.begin() as session:
        workflow.submit_report(session, department_actor(reminder_world, department), milestone_id, text="已启动", percent=20,
                               now=reported_at)
        workflow.review(session, reminder_world["actor"], milestone_id, decision="return", comment="请补充材料",
                        now=reported_at + timedelta(hours=1))


# --- 未签收 -----------------------------------------------------------------------


def support_milestone(session_factory, reminder_world) -> int:
    with session_factory() as session:
        return session.scalar(select(Milestone.id).where(Milestone.department_id == reminder_world["support_id"]))


def test_unacknowledged_reminder_two_workdays_after_issue_once_and_only_while_pending(reminder_world, session_factory, settings):
    support = support_milestone(session_factory, reminder_world)
    with session_factory.begin() as session:
        workflow.acknowledge(session, department_actor(reminder_world, "support"), support, now=utc(2026, 9, 2, 3))
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=1))  # assignment notices

    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 0, 59))
    assert ledger(session_factory, step_prefix="ack") == []
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 1))
    rows = ledger(session_factory, step_prefix="ack")
    assert {r.milestone_id for r in rows} == {reminder_world["milestone_id"]}  # the acknowledged support unit is spared
    assert len(rows) == 3 and {r.created_at for r in rows} == {utc(2026, 9, 3, 1)}
    sent = targets_of(session_factory, "reminder")
    assert {target for target, _ in sent} == LEAD_RECIPIENTS and len(sent) == 3
    with session_factory() as session:
        body = digest_bodies(settings, session.scalars(select(Notification).where(
            Notification.target == "lead-key", Notification.kind == "reminder")).one()).text
    assert "尚未签收" in body

    # Looked at again the same day (a restart): not repeated.
    mark_for_rescan(session_factory, reminder_world["milestone_id"], utc(2026, 9, 3, 5))
    again = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 5))
    assert again["milestones"] == 1 and again["reminders"] == 0
    assert len(targets_of(session_factory, "reminder")) == 3


def test_no_unacknowledged_reminder_once_acknowledged(reminder_world, session_factory, settings):
    with session_factory.begin() as session:
        for department, milestone_id in (("lead", reminder_world["milestone_id"]),
                                         ("support", support_milestone(session_factory, reminder_world))):
            workflow.acknowledge(session, department_actor(reminder_world, department), milestone_id, now=utc(2026, 9, 2, 3))
    scan_daily(session_factory, settings, date(2026, 9, 1), date(2026, 9, 10))
    assert ledger(session_factory, step_prefix="ack") == []
    assert targets_of(session_factory, "reminder") == []


# --- early warning --------------------------------------------------------------


def test_early_warning_once_when_the_phase_is_mostly_gone_without_a_report(reminder_world, session_factory, settings):
    # share 0.3 of the 38-day phase: 12 days before 10-09 is Sunday 09-27, a day off
    # (Mid-Autumn runs 09-25..09-27), so the warning moves back to Thursday 09-24.
    set_policy(session_factory, reminder_world, early_warning={"share": 0.3})
    report_and_return(session_factory, reminder_world, support_milestone(session_factory, reminder_world), "support", utc(2026, 9, 10, 2))

    scan_daily(session_factory, settings, date(2026, 9, 1), date(2026, 9, 30))
    rows = ledger(session_factory, step_prefix="early")
    assert {r.milestone_id for r in rows} == {reminder_world["milestone_id"]}  # a report was filed for the support one
    assert sorted(r.recipient for r in rows if not r.recipient.startswith("channel:")) == ["ip2@example.cn", "ip@example.cn"]
    assert len(rows) == 3 and {r.created_at for r in rows} == {utc(2026, 9, 24, 1)}
    assert {r.kind for r in rows} == {"early_warning"}
    warnings = targets_of(session_factory, "early_warning")
    assert warnings == sorted((target, utc(2026, 9, 24, 1)) for target in LEAD_RECIPIENTS)
    with session_factory() as session:
        body = digest_bodies(settings, session.scalars(select(Notification).where(
            Notification.target == "lead-key", Notification.kind == "early_warning")).one()).text
    assert "时限已过大半，尚未报送进展" in body

    # Re-read after a restart later that week: still one warning.
    mark_for_rescan(session_factory, reminder_world["milestone_id"], utc(2026, 9, 25, 3))
    again = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 25, 3))
    assert again["milestones"] == 1 and again["duplicates_skipped"] == 3 and again["reminders"] == 0
    assert len(targets_of(session_factory, "early_warning")) == 3


def test_no_early_warning_without_the_policy(reminder_world, session_factory, settings):
    scan_daily(session_factory, settings, date(2026, 9, 20), date(2026, 9, 28))
    assert ledger(session_factory, step_prefix="early") == []
    assert targets_of(session_factory, "early_warning") == []


# --- progress requests and the weekly cap -----------------------------------------------


def test_progress_requests_are_capped_per_department_and_week_and_the_cap_resets(reminder_world, session_factory, settings):
    # September's request (report by 09-28) is asked from Tuesday 09-22 09:00 on.
    set_policy(session_factory, reminder_world, progress={"day_of_month": 28, "workdays_before": 3, "weekly_cap": 1})
    add_measures(session_factory, reminder_world, 1, due="2026-12-20")
    first = reminder_world["milestone_id"]
    with session_factory() as session:
        second = session.scalar(select(Milestone.id).where(Milestone.department_id == reminder_world["lead_id"],
                                                           Milestone.id != first))
    # The second milestone is closed (reported) until the office returns it on Thursday.
    with session_factory.begin() as session:
        workflow.submit_report(session, department_actor(reminder_world, "lead"), second, text="已完成", percent=100,
                               now=utc(2026, 9, 21, 2))

    monday = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 21, 3))
    assert monday["progress_requests"] == 0
    tuesday = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 22, 1))
    assert tuesday["progress_requests"] == 4  # lead: robot + 2 addresses; support: 1 address
    assert [r.milestone_id for r in ledger(session_factory, step_prefix="progress:2026-09")
            if r.department_id == reminder_world["lead_id"]] == [first] * 3

    with session_factory.begin() as session:
        workflow.review(session, reminder_world["actor"], second, decision="return", comment="请补充材料",
                        now=utc(2026, 9, 24, 1))
    thursday = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 24, 1, 1))
    assert thursday["capped"] == 1 and thursday["progress_requests"] == 0
    # Several more scans that week (a restart re-reading it each day): still capped.
    for day in (25, 26, 27):
        mark_for_rescan(session_factory, second, utc(2026, 9, day, 2))
        later = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, day, 2))
        assert later["capped"] == 1 and later["progress_requests"] == 0
    assert ledger(session_factory, step_prefix="progress", milestone_id=second) == []
    with session_factory() as session:
        # Held back until next week's send hour, while the month's request is still open.
        assert session.get(Milestone, second).next_reminder_at == utc(2026, 9, 28, 1)

    # Monday of the next week: the cap is fresh and the held-back request goes out.
    next_week = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 28, 1))
    assert next_week["capped"] == 0 and next_week["progress_requests"] == 3
    rows = ledger(session_factory, step_prefix="progress", milestone_id=second)
    assert len(rows) == 3 and {(r.step, r.created_at) for r in rows} == {("progress:2026-09", utc(2026, 9, 28, 1))}
    requests = targets_of(session_factory, "progress_request", since=utc(2026, 9, 28, 1))
    assert requests == sorted((target, utc(2026, 9, 28, 1)) for target in LEAD_RECIPIENTS)
    with session_factory() as session:
        robot = session.scalars(select(Notification).where(Notification.kind == "progress_request",
                                                           Notification.target == "lead-key")).one()
        assert [m["id"] for m in robot.event["milestones"]] == [second]
        assert "请于2026-09-28前报送本月进展" in digest_bodies(settings, robot).text
