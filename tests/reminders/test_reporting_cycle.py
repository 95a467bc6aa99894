"""定期报送: each open 督办件 of a plan with a reporting cycle is asked for its
period's progress report on the period's last workday, once per period; and a
report the office marks 要求补充 reaches the unit at once with the comment.

The reminder world's plan was issued Tuesday 2026-09-01 with one measure due 2026-10-09
(lead 市知识产权局 with a WeCom robot and two addresses, support 市发展改革委).
"""

from sqlalchemy import select, update

from service.delivery.models import Notification
from service.delivery.service import digest_bodies
from service.milestones import assignments
from service.milestones.models import APPROVED, Milestone
from service.plans import service as plans
from service.plans.models import Assignment, Plan
from service.reminders.scan import run_scan
from tests.reminders.conftest import ACTIVATED, CALENDAR, utc
from tests.reminders.test_nudges import (
    LEAD_RECIPIENTS,
    department_actor,
    ledger,
    mark_for_rescan,
    set_policy,
)


def set_cycle(session_factory, reminder_world, cycle: str, day: int | None = None) -> None:
    with session_factory.begin() as session:
        plans.set_reporting_cycle(session, reminder_world["actor"], reminder_world["plan_id"], cycle=cycle, day=day, now=ACTIVATED)


def assignment_of(session_factory, reminder_world, department: str) -> int:
    with session_factory() as session:
        return session.scalar(select(Assignment.id).where(Assignment.department_id == reminder_world[f"{department}_id"]))


def requests(settings, session_factory, since) -> list[tuple[str, str]]:
    with session_factory() as session:
        return sorted((n.target, digest_bodies(settings, n).text) for n in session.scalars(
            select(Notification).where(Notification.kind == "progress_request", Notification.created_at >= since)))


def test_each_open_item_is_asked_once_on_the_periods_last_workday(session_factory, settings, reminder_world):
    set_cycle(session_factory, reminder_world, "weekly")
    # Thursday: the week (7–13 September) is not ending yet.
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 10, 1))["progress_requests"] == 0
    # Friday, the week's last workday, at the send hour: both units, on every own channel.
    friday = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 11, 1))
    assert friday["progress_requests"] == len(LEAD_RECIPIENTS) + 1
    sent = requests(settings, session_factory, utc(2026, 9, 11, 1))
    assert {target for target, _ in sent} == LEAD_RECIPIENTS | {"dev@example.cn"}
    assert all("请于2026-09-13前报送本周进展" in body for _, body in sent)
    assert {r.step for r in ledger(session_factory, step_prefix="progress")} == {"progress:2026-09-13"}
    # Later scans that day and a restart on Saturday send nothing again.
    for now in (utc(2026, 9, 11, 1, 1), utc(2026, 9, 11, 8), utc(2026, 9, 12, 1)):
        assert run_scan(session_factory, settings, CALENDAR, now)["progress_requests"] == 0
    assert len(requests(settings, session_factory, utc(2026, 9, 11, 1))) == len(LEAD_RECIPIENTS) + 1

    # Next week the lead reports on Tuesday; the week's last workday is Sunday the 20th
    # (a working Sunday before National Day): only the support unit is asked, then.
    with session_factory.begin() as session:
        assignments.submit_progress(session, department_actor(reminder_world, "lead"), assignment_of(session_factory, reminder_world, "lead"),
                                    text="联席会议制度草案已起草", percent=40, now=utc(2026, 9, 15, 3))
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 18, 1))["progress_requests"] == 0
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 20, 1))
    assert [target for target, _ in requests(settings, session_factory, utc(2026, 9, 18, 1))] == ["dev@example.cn"]

    # A closed item owes nothing: the week after (its Friday a holiday, so asked on
    # Thursday), with the support item closed, only the lead is asked.
    with session_factory.begin() as session:
        session.execute(update(Milestone).where(Milestone.department_id == reminder_world["support_id"]).values(state=APPROVED))
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 24, 1))
    asked = ledger(session_factory, step_prefix="progress:2026-09-27")
    assert {r.department_id for r in asked} == {reminder_world["lead_id"]} and len(asked) == len(LEAD_RECIPIENTS)
    with session_factory() as session:
        # The lead's ladder reminder of that day carries the request in the same digest.
        robot = session.scalars(select(Notification).where(
            Notification.target == "lead-key", Notification.created_at == utc(2026, 9, 24, 1))).one()
        text = digest_bodies(settings, robot).text
        assert "请于2026-09-27前报送本周进展" in text and "距完成时限还有15天" in text


def test_a_plan_issued_after_the_request_time_owes_nothing_that_period(session_factory, settings, reminder_world):
    set_cycle(session_factory, reminder_world, "weekly")
    with session_factory.begin() as session:
        session.get(Plan, reminder_world["plan_id"]).activated_at = utc(2026, 9, 11, 3)
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 11, 4))["progress_requests"] == 0
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 20, 1))["progress_requests"] == len(LEAD_RECIPIENTS) + 1


def test_monthly_by_day_n_asks_on_that_day_and_no_cycle_asks_nothing(session_factory, settings, reminder_world):
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 15, 1))
    assert ledger(session_factory, step_prefix="progress:2026-09-15") == []
    set_cycle(session_factory, reminder_world, "monthly", 15)
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 14, 1))["progress_requests"] == 0
    assert run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 15, 1))["progress_requests"] == len(LEAD_RECIPIENTS) + 1
    assert all("请于2026-09-15前报送本期进展" in body for _, body in requests(settings, session_factory, utc(2026, 9, 15, 1)))


def test_asking_for_more_notifies_the_unit_at_once_with_the_comment(session_factory, settings, reminder_world):
    lead = assignment_of(session_factory, reminder_world, "lead")
    with session_factory.begin() as session:
        report = assignments.submit_progress(session, department_actor(reminder_world, "lead"), lead,
                                             text="已启动", percent=20, now=utc(2026, 9, 2, 3))
        assignments.review_progress(session, reminder_world["actor"], report.id, decision="more",
                                    comment="请附上会议纪要", now=utc(2026, 9, 2, 4))
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 2, 4, 1))
    with session_factory() as session:
        notices = session.scalars(select(Notification).where(Notification.kind == "progress_more")).all()
        assert {n.target for n in notices} == LEAD_RECIPIENTS
        robot = next(n for n in notices if n.target == "lead-key")
        text = digest_bodies(settings, robot).text
        assert "请附上会议纪要" in text and "要求补充" in robot.subject
        assert "https://duban.example.cn/" in text
        assert [m["id"] for m in robot.event["milestones"]] == [reminder_world["milestone_id"]]
    # Read without asking for more: no notice.
    with session_factory.begin() as session:
        second = assignments.submit_progress(session, department_actor(reminder_world, "lead"), lead,
                                             text="已完成草案", percent=50, now=utc(2026, 9, 3, 3))
        assignments.review_progress(session, reminder_world["actor"], second.id, decision="read", comment=None,
                                    now=utc(2026, 9, 3, 4))
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 4, 1))
    with session_factory() as session:
        assert len(session.scalars(select(Notification).where(Notification.kind == "progress_more")).all()) == 3


def test_a_reporting_cycle_supersedes_the_policys_monthly_request(session_factory, settings, reminder_world):
    set_policy(session_factory, reminder_world, progress={"day_of_month": 28, "workdays_before": 0, "weekly_cap": 1})
    set_cycle(session_factory, reminder_world, "quarterly")
    for day in (28, 29, 30):
        mark_for_rescan(session_factory, reminder_world["milestone_id"], utc(2026, 9, day, 1))
        run_scan(session_factory, settings, CALENDAR, utc(2026, 9, day, 1))
    assert {r.step for r in ledger(session_factory, step_prefix="progress")} == {"progress:2026-09-30"}
