"""Chinese date expressions → ISO dates.

A date that names only a month or a year means its last day:
"2017年6月前" and "2017年6月底前" are 2017-06-30, "2015年底之前" and
"到2020年" are the year's last day, "2018年上半年" is 06-30.

A measure's time limit is a date with "…前", "到/至/截至 …" or followed by
完成 ("2015年完成…", "2018年底完成", "2015年内完成"); "年内" without a year
means the plan's own year, when its title names a single one.
"""

import calendar
import datetime
import re

from .chinese import to_simplified

_DATE = re.compile(
    r"(?P<year>\d{4})\s*年(?:\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*[日号])?)?"
    r"\s*(?P<part>上半年|下半年|年中|年底|年末|底|末)?"
    r"|(?P<iso_year>\d{4})[-/.](?P<iso_month>\d{1,2})(?:[-/.](?P<iso_day>\d{1,2}))?"
    r"|(?P<bare_month>\d{1,2})\s*月(?:\s*(?P<bare_day>\d{1,2})\s*[日号])?\s*(?:底|末)?"
)
# Only an explicit limit makes a date a measure's deadline: "…前", "到/至/截至 …",
# or the work to be done by then ("2015年完成…"); a bare "2015年度…增长" is a target's year.
_DEADLINE = re.compile(
    # The spaces after 到 belong to it, so a match can only start at 到 or a digit.
    r"(?:(?P<before>到|至|截至|截止到?)\s*)?"
    r"(?P<date>\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?\s*(?:上半年|下半年|年中|年底|年末|底|末)?)"
    r"\s*(?P<after>之前|以前|前|为止|内?完成)?"
)
# "年内出台…" in a year's work plan; "3年内", "五年内" count from a start the text does not give.
_WITHIN_THE_YEAR = re.compile(r"(?<![\d一二三四五六七八九十两几数多])年[内內]")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _end_of(year: int, month: int | None, day: int | None, part: str | None) -> datetime.date:
    if day:
        return datetime.date(year, month, day)
    if month:
        return datetime.date(year, month, calendar.monthrange(year, month)[1])
    if part in ("上半年", "年中"):
        return datetime.date(year, 6, 30)
    return datetime.date(year, 12, 31)


def _dates_in(text: str) -> list[datetime.date]:
    """Every date in `text`; a bare month borrows the year written before it."""
    dates, year = [], None
    for m in _DATE.finditer(to_simplified(text)):
        try:
            if m.group("year"):
                year = int(m.group("year"))
                month, day = m.group("month"), m.group("day")
                dates.append(_end_of(year, int(month) if month else None, int(day) if day else None, m.group("part")))
            elif m.group("iso_year"):
                year = int(m.group("iso_year"))
                day = m.group("iso_day")
                dates.append(_end_of(year, int(m.group("iso_month")), int(day) if day else None, None))
            elif year:
                day = m.group("bare_day")
                dates.append(_end_of(year, int(m.group("bare_month")), int(day) if day else None, None))
        except ValueError:  # 2月30日 and the like: not a date
            continue
    return dates


def period_end(text: str) -> str | None:
    """The last date in a phase's time span ("2017年6月—12月" → 2017-12-31), ISO, or None."""
    dates = _dates_in(text)
    return dates[-1].isoformat() if dates else None


def plan_year(title: str | None) -> int | None:
    """The one year a plan's title names ("2015年…工作计划"), or None (none, or a span)."""
    years = set(_YEAR.findall(title or ""))
    return int(years.pop()) if len(years) == 1 else None


def within_the_year(text: str, year: int | None) -> str | None:
    """The end of `year` when `text` says "年内" (within the year), ISO, or None."""
    return datetime.date(year, 12, 31).isoformat() if year and _WITHIN_THE_YEAR.search(text) else None


def measure_deadline(text: str) -> str | None:
    """The first explicit time limit in a measure's text, ISO, or None."""
    for m in _DEADLINE.finditer(to_simplified(text)):
        if m.group("before") or m.group("after"):
            dates = _dates_in(m.group("date"))
            if dates:
                return dates[0].isoformat()
    return None
