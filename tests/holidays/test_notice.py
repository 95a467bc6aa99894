"""Reading the State Council's holiday notice as an office pastes it."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from service.errors import Invalid
from service.holidays.notice import parse_notice
from service.holidays.service import entries_from_text
from service.workdays import HOLIDAY, WORKDAY, HolidayFileError

# The notices for 2025 and 2026 as published (国办发明电), items only.
NOTICE_2025 = """国务院办公厅关于2025年部分节假日安排的通知
经国务院批准，现将2025年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作。
"""

NOTICE_2026 = """一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。"""


def _year(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year, notice", [(2025, NOTICE_2025), (2026, NOTICE_2026)])
def test_a_published_notice_gives_the_same_workdays_as_chinesecalendar(year, notice):
    entries = {e.day: e for e in parse_notice(notice, year)}
    for day in _year(year):
        entry = entries.get(day)
        ours = entry.kind == WORKDAY if entry else day.weekday() < 5
        assert ours == chinese_calendar.is_workday(day), day
    assert all(chinese_calendar.is_holiday(d) for d, e in entries.items() if e.kind == HOLIDAY)


def test_items_name_their_days():
    entries = {e.day: e for e in parse_notice(NOTICE_2026, 2026)}
    assert entries[date(2026, 2, 15)].name == "春节" and entries[date(2026, 2, 23)].name == "春节"
    assert entries[date(2026, 2, 28)].name == "春节调休上班"
    assert len([e for e in entries.values() if e.kind == HOLIDAY]) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert entries[date(2026, 10, 10)].kind == WORKDAY


def test_dates_with_their_own_year_and_days_of_the_year_before():
    notice = "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。\n二、春节：1月21日至27日放假调休，共7天。1月28日（星期六）、1月29日（星期日）上班。"
    entries = {e.day: e.kind for e in parse_notice(notice, 2023)}
    assert date(2022, 12, 31) not in entries  # that year's own schedule has it
    assert entries[date(2023, 1, 1)] == entries[date(2023, 1, 2)] == HOLIDAY
    assert entries[date(2023, 1, 29)] == WORKDAY and len(entries) == 2 + 7 + 2


@pytest.mark.parametrize("notice, message", [
    ("一、元旦：放假一天。", "没有读到放假或上班日期"),
    ("一、春节：2月30日至3月2日放假。", "2027年2月30日不是有效日期"),
    ("一、春节：2月10日至2月3日放假。", "结束日期早于开始日期"),
    ("元旦放假1天", "没有找到"),
])
def test_a_notice_that_cannot_be_read_says_where(notice, message):
    with pytest.raises(HolidayFileError, match=message):
        parse_notice(notice, 2027)


def test_the_page_reads_a_notice_or_lines_in_chinese():
    assert [(e.day, e.kind) for e in entries_from_text(NOTICE_2026, 2026)][:2] == [
        (date(2026, 1, 1), HOLIDAY), (date(2026, 1, 2), HOLIDAY)]
    lines = entries_from_text("2027-01-01，放假，元旦\n2027-02-06，上班，春节调休", 2027)
    assert [(e.day, e.kind, e.name) for e in lines] == [
        (date(2027, 1, 1), HOLIDAY, "元旦"), (date(2027, 2, 6), WORKDAY, "春节调休")]
    with pytest.raises(Invalid, match="第1行"):
        entries_from_text("2027-01-01，休假，元旦", 2027)
