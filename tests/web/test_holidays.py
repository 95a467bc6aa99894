"""The 节假日安排 page: everyone reads it, the deployment's operator pastes and
saves a year, errors come back on the page with the pasted text; the
dashboard warns admins about a year without holiday data."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.holidays import service
from tests.factories import NOW, add_operator, build_world

PASTED = "2027-01-01,holiday,元旦\n2027-02-06,holiday,春节\n2027-02-20,workday,春节调休\n"


def state(session_factory) -> tuple[list, int]:
    with session_factory() as session:
        days = [(d.day.isoformat(), d.kind, d.name) for d in service.entered_days(session, 2027)]
        return days, session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_operator_pastes_a_year_and_sees_it(session, session_factory, client_factory):
    add_operator(session, build_world(session))
    admin = client_factory().login("operator")
    home = admin.get("/")
    assert home.url.path == "/holidays"  # the operator's page; no office's dashboard
    assert 'href="/holidays"' in home.text and 'href="/plans"' not in home.text
    page = admin.get("/holidays?year=2027").text
    assert 'data-year="2027"' in page and "尚未录入，工作日暂按周末计算" in page and 'name="text"' in page
    response = admin.submit("/holidays/2027", {"text": PASTED}, page="/holidays?year=2027")
    assert response.status_code == 200 and "已保存2027年节假日安排（共 3 天）" in response.text
    assert '<tr data-day="2027-02-20" data-source="database">' in response.text
    assert "星期六" in response.text and "调休上班" in response.text and "本系统录入" in response.text
    # The textarea holds the year's entered lines for the next edit, in words.
    assert "2027-01-01,放假,元旦\n2027-02-06,放假,春节\n2027-02-20,调休上班,春节调休" in response.text
    assert len(state(session_factory)[0]) == 3


def test_package_years_are_listed_with_their_source(session, client_factory):
    build_world(session)
    page = client_factory().login("ip_user").get("/holidays?year=2026").text
    assert '<tr data-day="2026-10-01" data-source="package">' in page and "国庆节" in page and "内置日历" in page
    assert 'name="text"' not in page  # a department reads only


@pytest.mark.parametrize("text, message", [
    ("2027-01-01,holiday,元旦\n2027-02-30,holiday,春节", "第2行：&#39;2027-02-30&#39; 不是 YYYY-MM-DD 格式的日期"),
    ("2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦", "第2行：2028-01-01 不在 2027 年内"),
    ("2027-01-01,假,元旦", "第1行：类型须为 放假 或 上班"),
    ("2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦", "第2行：2027-01-01 与第1行重复"),
    # Refused before a parser (or YAML) reads it: a notice is some 1,500 characters.
    ("一、元旦：" + " " * 60_000 + "1月1日放假", "粘贴的内容超过 50000 个字符的上限"),
])
def test_a_bad_paste_comes_back_with_the_text_and_changes_nothing(session, session_factory, client_factory, text, message):
    add_operator(session, build_world(session))
    admin = client_factory().login("operator")
    admin.submit("/holidays/2027", {"text": PASTED}, page="/holidays")
    before = state(session_factory)
    response = admin.submit("/holidays/2027", {"text": text}, page="/holidays")
    assert response.status_code == 422 and message in response.text
    assert f">{text}</textarea>" in response.text.replace("&#39;", "'")
    assert state(session_factory) == before


@pytest.mark.parametrize("username", ["city_admin", "other_admin", "district_admin", "city_leader", "ip_user"])
def test_only_the_operator_saves(session, session_factory, client_factory, username):
    build_world(session)
    user = client_factory().login(username)
    assert 'action="/holidays/2027"' not in user.get("/holidays?year=2027").text
    before = state(session_factory)
    response = user.submit("/holidays/2027", {"text": PASTED}, page="/holidays")
    assert response.status_code == 403
    assert state(session_factory) == before


def test_the_dashboard_warns_admins_when_the_next_60_days_reach_an_uncovered_year(session, client_factory, clock):
    world = build_world(session)
    admin, leader = client_factory().login("city_admin"), client_factory().login("city_leader")
    warning = "2027年节假日安排尚未录入，工作日暂按周末计算"
    clock.instant = NOW - timedelta(days=1)
    assert warning not in admin.get("/").text  # 2026-11-01 + 60 days is 2026-12-31
    clock.instant = NOW
    page = admin.get("/").text
    assert warning in page and 'href="/holidays?year=2027"' in page
    assert warning not in leader.get("/").text
    add_operator(session, world)
    client_factory().login("operator").submit("/holidays/2027", {"text": PASTED}, page="/holidays")
    assert warning not in admin.get("/").text


def test_the_operator_pastes_the_state_councils_notice(session, session_factory, client_factory):
    add_operator(session, build_world(session))
    notice = ("国务院办公厅关于2027年部分节假日安排的通知\n"
              "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
              "二、春节：2月6日（农历除夕、周六）至12日（农历正月初六、周五）放假调休，共7天。2月20日（周六）上班。")
    admin = client_factory().login("operator")
    response = admin.submit("/holidays/2027", {"text": notice}, page="/holidays?year=2027")
    assert "已保存2027年节假日安排（共 11 天）" in response.text
    days = state(session_factory)[0]
    assert ("2027-02-06", "holiday", "春节") in days and ("2027-02-20", "workday", "春节调休上班") in days
    # The textarea then holds the entered days as lines, ready for the next edit.
    assert "2027-02-20,调休上班,春节调休上班" in response.text


def test_an_admin_saves_local_days_for_the_office_only(session, session_factory, client_factory):
    world = build_world(session)
    admin = client_factory().login("city_admin")
    page = admin.get("/holidays?year=2027").text
    assert 'action="/holidays/2027/office"' in page and 'action="/holidays/2027"' not in page
    saved = admin.submit("/holidays/2027/office", {"text": "2027-05-07,holiday,本地放假"}, page="/holidays?year=2027")
    assert "已保存本办公室2027年的本地放假安排（共 1 天）" in saved.text
    assert "2027-05-07,放假,本地放假" in saved.text
    assert state(session_factory)[0] == []  # the national schedule is untouched
    with session_factory() as s:
        assert [d.day.isoformat() for d in service.entered_days(s, 2027, world.offices["city"].id)] == ["2027-05-07"]
    other = client_factory().login("other_admin").get("/holidays?year=2027").text
    assert "2027-05-07" not in other
    bad = admin.submit("/holidays/2027/office", {"text": "2028-01-01,holiday,x"}, page="/holidays?year=2027")
    assert bad.status_code == 422 and "不在 2027 年内" in bad.text
    assert client_factory().login("city_leader").submit(
        "/holidays/2027/office", {"text": "2027-05-07,holiday,x"}, page="/holidays").status_code == 403
