"""The workday calendar every process uses: the holiday file, read once at
start, under the days entered in the database, reloaded when they change.

Replicas and the scheduler in each of them learn of a change made elsewhere by
comparing the schedule's version (service.holidays.service.calendar_version),
at most once per CHECK_INTERVAL; the process that made a change rereads it at
once (`changed()`).
"""

import threading
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.database import read_only_factory
from service.holidays.models import CalendarDay
from service.holidays.service import calendar_version
from service.workdays import DayEntry, WorkdayCalendar, load_holidays_file

CHECK_INTERVAL = timedelta(minutes=1)


def file_entries(settings: Settings) -> list[DayEntry]:
    return load_holidays_file(settings.holidays_file) if settings.holidays_file else []


def build_calendar(session: Session, from_file: list[DayEntry]) -> WorkdayCalendar:
    overrides = {e.day: e.kind for e in from_file}
    overrides.update(session.execute(select(CalendarDay.day, CalendarDay.kind)).all())
    return WorkdayCalendar(overrides=overrides)


def load_calendar(session: Session, settings: Settings) -> WorkdayCalendar:
    """The calendar as of now, for one-off commands (`duban tick`, `duban demo`)."""
    return build_calendar(session, file_entries(settings))


class CalendarSource:
    """One process's current WorkdayCalendar. A calendar is kept as long as the
    schedule's version is unchanged, so its memoized days serve many scans."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings,
                 check_interval: timedelta = CHECK_INTERVAL):
        # Read (and checked) at start: a broken file stops `duban serve` instead of a scan.
        self.file_entries = file_entries(settings)
        self._factory = session_factory
        self._interval = check_interval
        self._lock = threading.Lock()
        self._calendar: WorkdayCalendar | None = None
        self._version: tuple | None = None
        self._checked_at: datetime | None = None

    def current(self, now: datetime) -> WorkdayCalendar:
        with self._lock:
            checked = self._checked_at
            if self._calendar is None or checked is None or not checked <= now < checked + self._interval:
                self._refresh(now)
            return self._calendar

    def _refresh(self, now: datetime) -> None:
        with read_only_factory(self._factory)() as session:
            # Version first: a change committed between the two reads leaves an
            # old version with new days, and the next check loads them again.
            version = calendar_version(session)
            if self._calendar is None or version != self._version:
                self._calendar = build_calendar(session, self.file_entries)
                self._version = version
        self._checked_at = now

    def changed(self) -> None:
        """Called after this process committed a change: the next `current()` rereads."""
        with self._lock:
            self._checked_at = None
