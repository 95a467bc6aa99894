"""The workday calendar of mainland China: weekends, public holidays and 调休
make-up workdays from `chinesecalendar`, plus an optional override file for
years the package does not cover yet and for local days off.

Override file (DUBAN_HOLIDAYS_FILE), CSV or YAML rows of `date, kind, name`
where kind is `holiday` or `workday`:

    2027-01-01,holiday,元旦
    2027-02-07,workday,春节调休
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml

log = logging.getLogger(__name__)

HOLIDAY = "holiday"
WORKDAY = "workday"


class HolidayFileError(ValueError):
    pass


@dataclass
class WorkdayCalendar:
    overrides: dict[date, str] = field(default_factory=dict)
    # Years asked about that neither the package nor the override file covers.
    uncovered_years: set[int] = field(default_factory=set)
    # chinesecalendar scans its whole holiday table on every call; a scan asks
    # about the same few hundred days hundreds of thousands of times.
    _known: dict[date, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == WORKDAY
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.uncovered_years and not self._year_in_overrides(day.year):
                self.uncovered_years.add(day.year)
                log.warning(
                    "no holiday data for %s: counting only weekends as days off", day.year
                )
            return day.weekday() < 5

    def _year_in_overrides(self, year: int) -> bool:
        return any(d.year == year for d in self.overrides)

    def add_workdays(self, day: date, count: int) -> date:
        """The workday `count` workdays after `day` (before it for a negative count).

        `add_workdays(d, 0)` is `d` itself when that is a workday, else the next one.
        """
        step = 1 if count >= 0 else -1
        current = day
        if count == 0:
            while not self.is_workday(current):
                current += timedelta(days=1)
            return current
        remaining = abs(count)
        while remaining:
            current += timedelta(days=step)
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Workdays in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n))
        )


def load_overrides(path: str | Path) -> dict[date, str]:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HolidayFileError(f"cannot read holiday file {path}: {exc.strerror}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = yaml.safe_load(raw) or []
        entries = [(str(r.get("date")), str(r.get("kind", "")), r.get("name")) for r in rows]
    else:
        entries = [
            (row[0], row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else None)
            for row in csv.reader(raw.splitlines())
            if row and not row[0].startswith("#") and row[0].strip() != "date"
        ]
    overrides: dict[date, str] = {}
    for line_no, (day, kind, _name) in enumerate(entries, start=1):
        kind = kind.strip().lower()
        if kind not in (HOLIDAY, WORKDAY):
            raise HolidayFileError(f"{path} entry {line_no}: kind must be holiday or workday")
        try:
            overrides[date.fromisoformat(day.strip())] = kind
        except ValueError as exc:
            raise HolidayFileError(f"{path} entry {line_no}: {day!r} is not an ISO date") from exc
    return overrides


def calendar_from_settings(holidays_file: str | None) -> WorkdayCalendar:
    return WorkdayCalendar(overrides=load_overrides(holidays_file) if holidays_file else {})
