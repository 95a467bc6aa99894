from sqlalchemy import select

from service.delivery.models import Notification
from service.reminders.bulletin import send_weekly_bulletins
from tests.reminders.conftest import CALENDAR, add_measures, utc


def test_weekly_bulletin_ranks_departments_once_per_week(world, session_factory, settings):
    add_measures(session_factory, world, 2, due="2026-10-16")
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
