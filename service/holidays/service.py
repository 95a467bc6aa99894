"""节假日安排: the deployment-wide holiday schedule the operator enters in the app.

The State Council publishes next year's schedule in November or December,
after the last `chinesecalendar` release may have been cut; without it every
workday count of that year falls back to weekends only. The deployment's
operator (role operator; no office admin: the schedule changes every office's
workdays) pastes the schedule (`2027-01-01,holiday,元旦` lines, the holiday file's
format) and every process picks it up (service/holidays/source.py).

Precedence for one date: an office's local days (its own over its parent
offices', entered by its admin; they count for it and its child offices) >
entered here > DUBAN_HOLIDAYS_FILE > chinesecalendar > weekends. A year counts as covered when the package covers it or the file or
the database has at least one day in it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.audit.service import OFFICE_CALENDAR_ENTITY, record
from service.auth.actor import Actor
from service.errors import Conflict, Forbidden, Invalid
from service.holidays.models import NAME_MAX_LENGTH, CalendarDay, CalendarRevision, OfficeCalendarDay
from service.holidays.notice import check_length, looks_like_notice, parse_notice
from service.offices.models import Office
from service.offices.service import descendant_office_ids
from service.workdays import DayEntry, HolidayFileError, WorkdayCalendar, package_covers, parse_days, parse_entry

SOURCE_DATABASE, SOURCE_FILE, SOURCE_PACKAGE = "database", "file", "package"
# Audit entity types of the national schedule's years and of offices' local days.
AUDIT_ENTITY = "calendar_year"
OFFICE_AUDIT_ENTITY = OFFICE_CALENDAR_ENTITY
YEAR_MIN, YEAR_MAX = 2000, 2100
# How far ahead the dashboard looks for a year without holiday data.
LOOKAHEAD = timedelta(days=60)
ERRORS_SHOWN = 5


@dataclass(frozen=True)
class ScheduledDay:
    day: date
    kind: str
    name: str
    source: str


@dataclass(frozen=True)
class YearSchedule:
    year: int
    covered: bool
    days: list[ScheduledDay]  # every source, the winning one per date, by date
    entered: list[CalendarDay]  # the database's own days of the year, by date


def package_days(year: int) -> list[ScheduledDay]:
    """chinesecalendar's holidays and make-up workdays of a year it covers, named in Chinese."""
    if not package_covers(year):
        return []
    found = [
        ScheduledDay(day, kind, _chinese_name(name), SOURCE_PACKAGE)
        for kind, table in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays))
        for day, name in table.items()
        if day.year == year
    ]
    return sorted(found, key=lambda d: d.day)


def _chinese_name(english: str) -> str:
    try:
        return Holiday(english).chinese
    except ValueError:
        return english


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def entered_days(session: Session, year: int, office_id: int | None = None) -> list:
    """The national schedule's entered days of the year, or with `office_id` that
    office's own local days (OfficeCalendarDay rows)."""
    first, last = _year_bounds(year)
    model = CalendarDay if office_id is None else OfficeCalendarDay
    query = select(model).where(model.day.between(first, last)).order_by(model.day)
    if office_id is not None:
        query = query.where(OfficeCalendarDay.office_id == office_id)
    return list(session.scalars(query))


def year_schedule(session: Session, year: int, file_entries: list[DayEntry]) -> YearSchedule:
    """The year's holidays and make-up workdays with where each comes from."""
    check_year(year)
    entered = entered_days(session, year)
    by_day = {d.day: d for d in package_days(year)}
    by_day.update(
        (e.day, ScheduledDay(e.day, e.kind, e.name, SOURCE_FILE)) for e in file_entries if e.day.year == year
    )
    by_day.update((d.day, ScheduledDay(d.day, d.kind, d.name, SOURCE_DATABASE)) for d in entered)
    covered = package_covers(year) or bool(by_day)
    return YearSchedule(year, covered, [by_day[d] for d in sorted(by_day)], entered)


def uncovered_years_ahead(calendar: WorkdayCalendar, today: date) -> list[int]:
    """Years the next LOOKAHEAD days reach into that have no holiday data."""
    return [y for y in range(today.year, (today + LOOKAHEAD).year + 1) if not calendar.covers(y)]


# --- changing the schedule ---------------------------------------------------


def may_edit(actor: Actor) -> bool:
    """The schedule is the whole deployment's: only its operator changes it."""
    return actor.is_operator


def require_editor(actor: Actor) -> None:
    if not may_edit(actor):
        raise Forbidden("节假日安排对全部办公室生效，只能由系统运维人员（operator）修改")


def check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Invalid(f"年份须在 {YEAR_MIN} 至 {YEAR_MAX} 之间")


def entries_from_text(text: str, year: int) -> list[DayEntry]:
    """The pasted schedule: the State Council's notice as published, or the
    holiday file's CSV lines (or YAML list)."""
    try:
        check_length(text)
        return parse_notice(text, year) if looks_like_notice(text) else parse_days(text)
    except HolidayFileError as exc:
        raise Invalid(str(exc)) from None


def entries_from_items(items: list[dict]) -> list[DayEntry]:
    """The API's `days` list: {date, kind, name} objects, checked like pasted lines."""
    try:
        return [
            parse_entry(item.get("date"), item.get("kind"), item.get("name"), f"第{n}项")
            for n, item in enumerate(items, start=1)
        ]
    except HolidayFileError as exc:
        raise Invalid(str(exc)) from None


def _check_entries(year: int, entries: list[DayEntry]) -> None:
    """Every date inside the year, once; names short enough. A Saturday marked
    workday (调休) and a weekday marked holiday are what a schedule is for."""
    errors, seen = [], {}
    for entry in entries:
        if entry.day.year != year:
            errors.append(f"{entry.where}：{entry.day.isoformat()} 不在 {year} 年内")
        elif entry.day in seen:
            errors.append(f"{entry.where}：{entry.day.isoformat()} 与{seen[entry.day]}重复")
        else:
            seen[entry.day] = entry.where
        if len(entry.name) > NAME_MAX_LENGTH:
            errors.append(f"{entry.where}：名称不能超过 {NAME_MAX_LENGTH} 个字")
    if errors:
        more = f"；另有 {len(errors) - ERRORS_SHOWN} 处错误" if len(errors) > ERRORS_SHOWN else ""
        raise Invalid("；".join(errors[:ERRORS_SHOWN]) + more)


@dataclass(frozen=True)
class Replaced:
    year: int
    days: int  # entered days of the year now
    changed: int  # dates added, removed or changed
    moved: frozenset[date] = frozenset()  # dates that became or stopped being workdays
    offices: frozenset[int] | None = None  # the offices the days count for; None: every office
    retimed: int = 0  # open milestones marked for the next scan (service/flows/calendar.py)


def replace_year(
    session: Session, actor: Actor, year: int, entries: list[DayEntry], *, now: datetime, local: bool = False
) -> Replaced:
    """Make the entered days of `year` exactly `entries` (none: clear the year):
    the national schedule's (the operator), or with `local` the actor's office's
    own days off and make-up days (that office's admin; they count for it and
    its child offices)."""
    office_id = actor.office_id if local else None
    if local:
        actor.require_admin()
    else:
        require_editor(actor)
    check_year(year)
    _check_entries(year, entries)
    rows = {row.day: row for row in entered_days(session, year, office_id)}
    before = {day: (row.kind, row.name) for day, row in rows.items()}
    after = {e.day: (e.kind, e.name) for e in entries}
    changed = {day for day in before.keys() | after.keys() if before.get(day) != after.get(day)}
    if not changed:
        return Replaced(year, len(after), 0)
    try:
        with session.begin_nested():
            for day in changed:
                row = rows.get(day)
                if day not in after:
                    session.delete(row)
                elif row is None:
                    kind, name = after[day]
                    values = dict(day=day, kind=kind, name=name, updated_at=now, updated_by=actor.user_id)
                    session.add(CalendarDay(**values) if office_id is None
                                else OfficeCalendarDay(office_id=office_id, **values))
                else:
                    row.kind, row.name = after[day]
                    row.updated_at, row.updated_by = now, actor.user_id
            _bump_revision(session)
    except IntegrityError:
        # Two admins saving the same year at once on PostgreSQL: the later insert loses.
        raise Conflict(f"{year}年节假日安排刚被他人修改，请刷新页面后重试") from None
    # A new name alone moves no reminder.
    moved = frozenset(day for day in changed if before.get(day, (None,))[0] != after.get(day, (None,))[0])
    offices = None if office_id is None else descendant_office_ids(session, office_id)
    if office_id is None:
        record(
            session, actor, "calendar.replace_year", AUDIT_ENTITY, year,
            before={"days": _audit_days(before)}, after={"days": _audit_days(after)}, now=now, deployment_wide=True,
        )
    else:
        # Filed under the office; its child offices' logs show it too (audit.trail.list_events).
        record(
            session, actor, "calendar.replace_office_year", OFFICE_AUDIT_ENTITY, office_id,
            before={"year": year, "days": _audit_days(before)}, after={"year": year, "days": _audit_days(after)},
            now=now,
        )
    return Replaced(year, len(after), len(changed), moved, offices)


def _audit_days(days: dict[date, tuple[str, str]]) -> list[list[str]]:
    return [[day.isoformat(), kind, name] for day, (kind, name) in sorted(days.items())]


def _bump_revision(session: Session) -> None:
    bumped = session.execute(update(CalendarRevision).values(number=CalendarRevision.number + 1))
    if bumped.rowcount == 0:  # the migration's row is gone (a database emptied by hand)
        session.add(CalendarRevision(id=1, number=1))


def calendar_version(session: Session) -> tuple[int | None, int]:
    """Changes when any process changed the national schedule or an office's local
    days (each change bumps the calendar revision), or an office was added (it may
    sit below an office with local days)."""
    return (
        session.scalar(select(CalendarRevision.number).where(CalendarRevision.id == 1)),
        session.scalar(select(func.count(Office.id))),
    )
