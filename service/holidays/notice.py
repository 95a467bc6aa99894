"""The State Council's holiday notice (国务院办公厅关于某年部分节假日安排的通知),
read as an office pastes it, into the days of the schedule.

Every year's notice words its items the same way:

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    三、清明节：4月4日（周六）至6日（周一）放假，共3天。
    一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。

so each item gives a name, the span of days off (放假) and the make-up workdays
(上班). Dates without a year are in the notice's year; a day outside that year
(New Year's Eve of the year before) is left out, as the page keeps one year.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from service.workdays import HOLIDAY, WORKDAY, DayEntry, HolidayFileError

# The patterns read pasted text, so each stays linear in it: no run of spaces
# can be split between two quantifiers (a `\s*` either side of an optional
# group was cubic in a run of spaces), and a match can only start at a line
# start, an opening parenthesis or a digit.
# "一、元旦：" at the start of a line or after a full stop.
# The name starts with a non-space, so the spaces before it go to one `\s*`.
_ITEM = re.compile(r"(?:^|(?<=[\n。]))[^\S\n]*[一二三四五六七八九十]+、\s*([^：:\n。\s][^：:\n。]{0,19}?)\s*[：:]")
# An aside holds no parenthesis, so an unclosed one is passed over at once.
_ASIDE = re.compile(r"[（(][^（()）]*[）)]")
_DAY = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日")
_SPAN = re.compile(rf"({_DAY.pattern})\s*(?:至|到|—|－|-|~|～)\s*({_DAY.pattern})")


# A year's notice is some 1,500 characters; the CSV or YAML of a year's days a
# few thousand. Past this a paste is refused before any parser (or YAML) reads it.
MAX_PASTED_CHARS = 50_000


def check_length(text: str) -> None:
    if len(text) > MAX_PASTED_CHARS:
        raise HolidayFileError(f"粘贴的内容超过 {MAX_PASTED_CHARS} 个字符的上限，一年的放假安排不会这么长")


def looks_like_notice(text: str) -> bool:
    return bool(_ITEM.search(text)) and ("放假" in text or "上班" in text)


def _dates(text: str, year: int) -> list[date]:
    """Every date written in `text`, a missing year or month taken from the date before."""
    found, current_year, month = [], year, None
    for y, m, d in _DAY.findall(text):
        current_year = int(y) if y else current_year
        month = int(m) if m else month
        if month is None:
            raise HolidayFileError(f"无法确定“{d}日”的月份")
        try:
            found.append(date(current_year, month, int(d)))
        except ValueError:
            raise HolidayFileError(f"{current_year}年{month}月{d}日不是有效日期") from None
    return found


def _days_off(sentence: str, year: int) -> list[date]:
    span = _SPAN.search(sentence)
    if span:
        start, end = _dates(span.group(0), year)
        if end < start:
            raise HolidayFileError(f"“{span.group(0)}”的结束日期早于开始日期")
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return _dates(sentence, year)


def parse_notice(text: str, year: int) -> list[DayEntry]:
    """The days off and make-up workdays of `year` in a pasted notice."""
    heads = list(_ITEM.finditer(text))
    if not heads:
        raise HolidayFileError("没有找到“一、元旦：……”这样的放假安排条目")
    entries: dict[date, DayEntry] = {}
    for n, head in enumerate(heads):
        name = head.group(1).strip()
        body = _ASIDE.sub("", text[head.end(): heads[n + 1].start() if n + 1 < len(heads) else len(text)])
        where = f"第{n + 1}条（{name}）"
        found = False
        for sentence in re.split(r"[。；;\n]", body):
            if "放假" in sentence:
                days, kind, label = _days_off(sentence.split("放假")[0], year), HOLIDAY, name
            elif "上班" in sentence:
                days, kind, label = _dates(sentence, year), WORKDAY, f"{name}调休上班"
            else:
                continue
            found = found or bool(days)
            for day in days:
                if day.year == year:
                    entries[day] = DayEntry(day, kind, label, where)
        if not found:
            raise HolidayFileError(f"{where}：没有读到放假或上班日期")
    return sorted(entries.values(), key=lambda e: e.day)
