"""GET/PUT /api/v1/calendar/years/{year}: who may replace a year, what is
refused with which message, and that a refusal changes nothing."""

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.holidays import service
from tests.factories import add_operator


@pytest.fixture
def world_with_operator(world, session_factory):
    """The world with the deployment's operator, filed under the city office."""
    with session_factory() as session:
        add_operator(session, world)
    return world

USERS = ["operator", "city_admin", "other_admin", "district_admin", "city_leader", "ip_user", "yuexiu_user"]
ALLOWED = {"operator"}  # the deployment's; no office's admin
DAYS = {"days": [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    {"date": "2027-02-20", "kind": "workday", "name": "春节调休"},
]}


def state(session_factory) -> tuple[list, int]:
    with session_factory() as session:
        days = [(d.day.isoformat(), d.kind, d.name) for d in service.entered_days(session, 2027)]
        return days, session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("user", USERS)
def test_who_may_replace_a_year(client, session_factory, world_with_operator, user):
    before = state(session_factory)
    response = client.put("/api/v1/calendar/years/2027", json=DAYS, headers=world_with_operator.headers(user))
    if user not in ALLOWED:
        assert response.status_code == 403, response.text
        if user == "other_admin":
            assert "operator" in response.json()["detail"]
        assert state(session_factory) == before
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["covered"] and body["editable"]
    assert [(d["date"], d["weekday"], d["kind"], d["name"], d["source"]) for d in body["days"]] == [
        ("2027-01-01", 5, "holiday", "元旦", "database"), ("2027-02-20", 6, "workday", "春节调休", "database"),
    ]
    days, events = state(session_factory)
    assert len(days) == 2 and events == before[1] + 1


@pytest.mark.parametrize("user", USERS)
def test_everyone_logged_in_reads_a_year(client, world_with_operator, user):
    body = client.get("/api/v1/calendar/years/2026", headers=world_with_operator.headers(user)).json()
    assert body["covered"] and body["editable"] is (user in ALLOWED)
    assert {"date": "2026-10-01", "weekday": 4, "kind": "holiday", "name": "国庆节", "source": "package"} in body["days"]


def test_reading_needs_a_login(client):
    assert client.get("/api/v1/calendar/years/2027").status_code == 401


@pytest.mark.parametrize("days, status, message", [
    ([{"date": "2027-1-1", "kind": "holiday"}], 422, "第1项：'2027-1-1' 不是 YYYY-MM-DD 格式的日期"),
    ([DAYS["days"][0], {"date": "2028-01-01", "kind": "holiday"}], 422, "第2项：2028-01-01 不在 2027 年内"),
    ([{"date": "2027-01-01", "kind": "off"}], 422, "第1项：类型须为 放假 或 上班"),
    ([DAYS["days"][0], DAYS["days"][0]], 422, "第2项：2027-01-01 与第1项重复"),
    ([{"date": "2027-01-01", "kind": "holiday", "name": "元" * 51}], 422, "名称不能超过 50 个字"),
])
def test_bad_days_are_refused_with_what_is_wrong(client, session_factory, world_with_operator, days, status, message):
    client.put("/api/v1/calendar/years/2027", json=DAYS, headers=world_with_operator.headers("operator"))
    before = state(session_factory)
    response = client.put("/api/v1/calendar/years/2027", json={"days": days}, headers=world_with_operator.headers("operator"))
    assert response.status_code == status and message in response.json()["detail"]
    assert state(session_factory) == before


@pytest.mark.parametrize("path", ["/api/v1/calendar/years/1999", "/api/v1/calendar/years/99999", "/api/v1/calendar/years/x"])
def test_a_year_out_of_range_is_a_422(client, world_with_operator, path):
    assert client.put(path, json=DAYS, headers=world_with_operator.headers("operator")).status_code == 422
    assert client.get(path, headers=world_with_operator.headers("operator")).status_code == 422


def test_an_empty_list_clears_the_year(client, session_factory, world_with_operator):
    admin = world_with_operator.headers("operator")
    client.put("/api/v1/calendar/years/2027", json=DAYS, headers=admin)
    body = client.put("/api/v1/calendar/years/2027", json={"days": []}, headers=admin).json()
    assert body == {"year": 2027, "covered": False, "editable": True, "days": []}
    assert state(session_factory)[0] == []


def test_health_says_where_to_enter_a_missing_year(client, world_with_operator):
    calendar = client.get("/api/v1/health", headers=world_with_operator.headers("city_admin")).json()["calendar"]
    assert calendar["uncovered_years"] == [2027]
    assert calendar["warnings"] == [
        "2027年节假日安排尚未录入，工作日暂按周末计算；请在“节假日安排”页面（/holidays）录入，或在 DUBAN_HOLIDAYS_FILE 中补充"
    ]
    client.put("/api/v1/calendar/years/2027", json=DAYS, headers=world_with_operator.headers("operator"))
    assert client.get("/api/v1/health").json()["status"] == "ok"
