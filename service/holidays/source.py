"""The workday calendars every process uses: the holiday file, read once at
start, under the national days entered in the database, and per office its own
and its parent offices' local days over those; reloaded when any of them change.

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
from service.holidays.models import CalendarDay, OfficeCalendarDay
from service.holidays.service import calendar_version
from service.offices.models import Office
from service.workdays import DayEntry, WorkdayCalendar, load_holidays_file

CHECK_INTERVAL = timedelta(minutes=1)


def file_entries(settings: Settings) -> list[DayEntry]:
    return load_holidays_file(settings.holidays_file) if settings.holidays_file else []


def build_calendar(session: Session, from_file: list[DayEntry]) -> WorkdayCalendar:
    overrides = {e.day: e.kind for e in from_file}
    overrides.update(session.execute(select(CalendarDay.day, CalendarDay.kind)).all())
    return WorkdayCalendar(overrides=overrides)


class OfficeCalendars:
    """The national calendar and, for an office under local days (its own or a
    parent office's), a calendar of its own, built on first use and kept with
    its memoized days: a scan over many offices builds each once."""

    def __init__(self, national: WorkdayCalendar, local: dict[int, dict], parents: dict[int, int | None]):
        self.national = national
        self._local, self._parents = local, parents
        self._built: dict[int, WorkdayCalendar] = {}

    @classmethod
    def of(cls, calendar: "WorkdayCalendar | OfficeCalendars") -> "OfficeCalendars":
        """One calendar for every office (a test's, or a deployment without local days)."""
        return calendar if isinstance(calendar, OfficeCalendars) else cls(calendar, {}, {})

    def for_office(self, office_id: int) -> WorkdayCalendar:
        chain, office = [], office_id
        while office is not None and len(chain) <= len(self._parents):
            chain.append(office)
            office = self._parents.get(office)
        if not any(o in self._local for o in chain):
            return self.national
        if office_id not in self._built:
            local: dict = {}
            for office in reversed(chain):  # the top office first: a child's own days win
                local.update(self._local.get(office, {}))
            self._built[office_id] = WorkdayCalendar(overrides=self.national.overrides, local=local)
        return self._built[office_id]


def build_calendars(session: Session, from_file: list[DayEntry]) -> OfficeCalendars:
    local: dict[int, dict] = {}
    for office_id, day, kind in session.execute(
        select(OfficeCalendarDay.office_id, OfficeCalendarDay.day, OfficeCalendarDay.kind)
    ):
        local.setdefault(office_id, {})[day] = kind
    parents = dict(session.execute(select(Office.id, Office.parent_id)).all()) if local else {}
    return OfficeCalendars(build_calendar(session, from_file), local, parents)


def load_calendars(session: Session, settings: Settings) -> OfficeCalendars:
    """The calendars as of now, for one-off commands (`duban tick`, `duban demo`)."""
    return build_calendars(session, file_entries(settings))


class CalendarSource:
    """One process's current calendars. They are kept as long as the schedule's
    version is unchanged, so their memoized days serve many scans."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings,
                 check_interval: timedelta = CHECK_INTERVAL):
        # Read (and checked) at start: a broken file stops `duban serve` instead of a scan.
        self.file_entries = file_entries(settings)
        self._factory = session_factory
        self._interval = check_interval
        self._lock = threading.Lock()
        self._calendars: OfficeCalendars | None = None
        self._version: tuple | None = None
        self._checked_at: datetime | None = None

    def offices(self, now: datetime) -> OfficeCalendars:
        with self._lock:
            checked = self._checked_at
            if self._calendars is None or checked is None or not checked <= now < checked + self._interval:
                self._refresh(now)
            return self._calendars

    def current(self, now: datetime) -> WorkdayCalendar:
        """The national calendar (coverage warnings, health)."""
        return self.offices(now).national

    def for_office(self, office_id: int, now: datetime) -> WorkdayCalendar:
        """What an office's due dates are counted in."""
        return self.offices(now).for_office(office_id)

    def _refresh(self, now: datetime) -> None:
        with read_only_factory(self._factory)() as session:
            # Version first: a change committed between the two reads leaves an
            # old version with new days, and the next check loads them again.
            version = calendar_version(session)
            if self._calendars is None or version != self._version:
                self._calendars = build_calendars(session, self.file_entries)
                self._version = version
        self._checked_at = now

    def changed(self) -> None:
        """Called after this process committed a change: the next `current()` rereads."""
        with self._lock:
            self._checked_at = None
