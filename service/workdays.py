"""The workday calendar of mainland China: weekends, public holidays and 调休
make-up workdays from `chinesecalendar`, overridden by the days the operator
entered on the 节假日安排 page (service/holidays) and by an optional file, for
years the package does not cover yet, and per office by its local days off.

Override file (DUBAN_HOLIDAYS_FILE) and the page's text: CSV or YAML rows of
`date, kind, name` where kind is `holiday` or `workday`:

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


# The years chinesecalendar has the State Council's schedule for (it raises outside them).
PACKAGE_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)


def package_covers(year: int) -> bool:
    return PACKAGE_YEARS[0] <= year <= PACKAGE_YEARS[1]


def uncovered_warning(year: int) -> str:
    return f"{year}年节假日安排尚未录入，工作日暂按周末计算"


@dataclass
class WorkdayCalendar:
    # Days entered in the app or the file, over the package: kind by date.
    overrides: dict[date, str] = field(default_factory=dict)
    # An office's own days off and make-up days (and its parent offices'), over
    # all of the above; they do not make a year count as covered.
    local: dict[date, str] = field(default_factory=dict)
    # Years asked about that neither the package nor an entered day covers.
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
        kind = self.local.get(day) or self.overrides.get(day)
        if kind is not None:
            return kind == WORKDAY
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.uncovered_years and not self.covers(day.year):
                self.uncovered_years.add(day.year)
                log.warning(
                    "no holiday data for %s: counting only weekends as days off", day.year
                )
            return day.weekday() < 5

    def _year_in_overrides(self, year: int) -> bool:
        return any(d.year == year for d in self.overrides)

    def covers(self, year: int) -> bool:
        """Whether the year has holiday data: from the package, or at least one entered day."""
        return package_covers(year) or self._year_in_overrides(year)

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


@dataclass(frozen=True)
class DayEntry:
    """One line of a holiday schedule; `where` names it in error messages (第3行)."""

    day: date
    kind: str
    name: str
    where: str


# What offices write in the type column instead of the file's English words.
KIND_WORDS = {"放假": HOLIDAY, "休息": HOLIDAY, "上班": WORKDAY, "调休上班": WORKDAY, "补班": WORKDAY}


def parse_entry(day: object, kind: object, name: object, where: str) -> DayEntry:
    try:
        parsed = date.fromisoformat(str(day or "").strip())
    except ValueError:
        raise HolidayFileError(f"{where}：{str(day or '')!r} 不是 YYYY-MM-DD 格式的日期") from None
    kind_text = str(kind or "").strip().lower()
    kind_text = KIND_WORDS.get(kind_text, kind_text)
    if kind_text not in (HOLIDAY, WORKDAY):
        raise HolidayFileError(f"{where}：类型须为 放假 或 上班（英文 holiday 或 workday），而不是 {str(kind or '')!r}")
    return DayEntry(parsed, kind_text, str(name or "").strip(), where)


def parse_days(text: str, *, yaml_format: bool | None = None) -> list[DayEntry]:
    """CSV lines `date,kind,name` (a `date,...` header and `#` comments skipped),
    or a YAML list of {date, kind, name}; None guesses YAML from a leading `-`."""
    if yaml_format is None:
        first = next((line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
        yaml_format = first.startswith("-")
    if yaml_format:
        try:
            # Every value as a string: dates are checked (and named by item) like CSV's.
            rows = yaml.load(text, Loader=yaml.BaseLoader) or []
        except yaml.YAMLError as exc:
            raise HolidayFileError(f"YAML 格式不正确：{exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise HolidayFileError("YAML 须为列表，每项含 date、kind、name")
        return [parse_entry(r.get("date"), r.get("kind"), r.get("name"), f"第{n}项") for n, r in enumerate(rows, 1)]
    entries = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        # Typed in Chinese, the separators are often the full-width comma.
        row = next(csv.reader([line.replace("，", ",")]), [])
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#") or row[0].strip() == "date":
            continue
        entries.append(parse_entry(row[0], row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "", f"第{line_no}行"))
    return entries


def load_holidays_file(path: str | Path) -> list[DayEntry]:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HolidayFileError(f"cannot read holiday file {path}: {exc.strerror}") from exc
    try:
        return parse_days(raw, yaml_format=path.suffix.lower() in (".yaml", ".yml"))
    except HolidayFileError as exc:
        raise HolidayFileError(f"holiday file {path}: {exc}") from None


