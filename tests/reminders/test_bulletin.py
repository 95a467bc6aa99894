from sqlalchemy import select, update

from service.delivery.models import Notification
from service.milestones import stats
from service.milestones.models import APPROVED, Milestone
from service.reminders.bulletin import send_weekly_bulletins
from tests.reminders.conftest import CALENDAR, add_measures, utc


def test_weekly_bulletin_ranks_departments_once_per_week(reminder_world, session_factory, settings):
    add_measures(session_factory, reminder_world, 2, due="2026-10-16")
    monday = utc(2026, 10, 12, 1)  # Monday 09:00 in Shanghai: 10-09 overdue, 10-16 due this week
    first = send_weekly_bulletins(session_factory, settings, CALENDAR, monday)
    again = send_weekly_bulletins(session_factory, settings, CALENDAR, monday)
    assert (first["offices"], first["notifications"], again["notifications"]) == (1, 1, 0)
    with session_factory() as session:
        bulletin = session.scalars(select(Notification).where(Notification.kind == "bulletin")).one()
    assert bulletin.target == "office-key"
    ranked = bulletin.event["departments"]
    assert [d["department_name"] for d in ranked] == ["市知识产权局", "市发展改革委"]
    assert (ranked[0]["overdue"], ranked[0]["due_this_week"], ranked[0]["open"]) == (1, 2, 3)
    assert "1. 市知识产权局：在办3项，本周到期2项，逾期1项" in bulletin.body_text


def test_weekly_bulletin_ranks_departments_as_the_dashboard_does(reminder_world, session_factory, settings):
    """One ranking everywhere: best on-time rate first, not most overdue first."""
    monday = utc(2026, 10, 12, 1)
    with session_factory.begin() as session:
        # The support unit reported on time and was approved; the lead unit is overdue.
        session.execute(
            update(Milestone).where(Milestone.department_id == reminder_world["support_id"])
            .values(state=APPROVED, submitted_at=utc(2026, 10, 8, 2), approved_at=utc(2026, 10, 9, 2))
        )
    send_weekly_bulletins(session_factory, settings, CALENDAR, monday)
    with session_factory() as session:
        bulletin = session.scalars(select(Notification).where(Notification.kind == "bulletin")).one()
        facts = stats.milestone_facts(session, reminder_world["actor"], plan_id=reminder_world["plan_id"])
    dashboard = stats.department_ranking(facts, monday.astimezone(settings.tz).date(), settings.tz)
    names = {reminder_world["lead_id"]: "市知识产权局", reminder_world["support_id"]: "市发展改革委"}
    assert [d["department_name"] for d in bulletin.event["departments"]] == [names[r.department_id] for r in dashboard]
    assert [d["department_name"] for d in bulletin.event["departments"]] == ["市发展改革委", "市知识产权局"]
    assert [d["on_time_percent"] for d in bulletin.event["departments"]] == [100, 0]
    assert "1. 市发展改革委：在办0项，本周到期0项，逾期0项，已办结1项，按时办结率100%" in bulletin.body_text
