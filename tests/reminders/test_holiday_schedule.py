"""Time travel into 2027, a year chinesecalendar 1.11 does not cover: the
scheduler of a process that did not make the change counts with an 元旦 entered
on the 节假日安排 page, and the due-day reminder moves off the holiday."""

from datetime import date

from sqlalchemy import select

from service.auth.actor import Actor
from service.clock import FixedClock
from service.flows.calendar import replace_year
from service.holidays.service import entries_from_text
from service.holidays.source import CalendarSource
from service.milestones.models import Milestone
from service.reminders.policy import WORKDAYS, step_day
from service.scheduler import build_scheduler
from tests.reminders.conftest import add_measures, utc

NEW_YEAR = date(2027, 1, 1)  # a Friday


def next_reminder(session_factory, milestone_id):
    with session_factory() as session:
        return session.scalar(select(Milestone.next_reminder_at).where(Milestone.id == milestone_id))


def test_the_due_day_reminder_moves_to_the_previous_workday_when_the_due_date_becomes_a_holiday(
    session_factory, settings, reminder_world
):
    add_measures(session_factory, reminder_world, 1, due=NEW_YEAR.isoformat())
    with session_factory() as session:
        milestone_id = session.scalar(select(Milestone.id).where(Milestone.due_date == NEW_YEAR))
    clock = FixedClock(utc(2026, 12, 30, 2))  # Wednesday 10:00 in Shanghai
    calendars = CalendarSource(session_factory, settings)
    scan = build_scheduler(settings, session_factory, calendars, clock).get_job("scan").func

    scan()
    assert next_reminder(session_factory, milestone_id) == utc(2026, 12, 31, 1)  # T-1, Thursday 09:00
    assert step_day(NEW_YEAR, 0, WORKDAYS, calendars.current(clock.now())) == NEW_YEAR  # weekends only

    # Entered elsewhere (another replica's request): this process learns of it by its own check.
    with session_factory.begin() as session:
        replace_year(session, Actor.deployment(reminder_world["office_id"]), 2027,
                     entries_from_text("2027-01-01,holiday,元旦", 2027), now=clock.now())
    clock.instant = utc(2026, 12, 31, 1)  # Thursday 09:00
    scan()
    assert step_day(NEW_YEAR, 0, WORKDAYS, calendars.current(clock.now())) == date(2026, 12, 31)
    # The due-day step fired with T-1 on Thursday; nothing is left for the holiday: next is T+1 on Monday.
    assert next_reminder(session_factory, milestone_id) == utc(2027, 1, 4, 1)
    clock.instant = utc(2027, 1, 1, 1)
    scan()
    assert next_reminder(session_factory, milestone_id) == utc(2027, 1, 4, 1)
