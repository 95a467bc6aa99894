"""The indicator API over HTTP: listing with progress, and every changing
endpoint × each role × own / other department × own / child / other office.
A refused call changes nothing (the audit log does not grow)."""

import pytest

from service.auth.actor import Actor
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar
from tests.factories import NOW, simple_plan

from .conftest import audit_count

USERS = ["city_admin", "city_leader", "ip_user", "dev_user", "district_admin", "other_admin", "sz_user", "yuexiu_user"]
NEW = {"name": "专利质押融资金额", "target_value": 20, "unit": "%", "comparison": "growth_rate_at_least"}
READING = {"value": 12.5, "as_of": "2026-10-31", "note": "前三季度"}

# (method, path given the indicator ids and plan ids, body, {user: status}); users not named get 404.
ENDPOINTS = {
    "create on the city plan": (
        "POST", lambda i, p: f"/api/v1/plans/{p['city']}/indicators", NEW,
        {"city_admin": 201, "city_leader": 403, "ip_user": 403, "dev_user": 403, "yuexiu_user": 403,
         "sz_user": 403, "district_admin": 404, "other_admin": 404},
    ),
    "create on the district plan": (
        "POST", lambda i, p: f"/api/v1/plans/{p['district']}/indicators", NEW,
        {"district_admin": 201, "city_admin": 403, "city_leader": 403, "ip_user": 403, "dev_user": 403,
         "yuexiu_user": 403, "sz_user": 403},
    ),
    "edit the city indicator": (
        "PATCH", lambda i, p: f"/api/v1/indicators/{i['city']}", {"baseline_value": 40},
        {"city_admin": 200, "city_leader": 403, "ip_user": 403},
    ),
    "edit the district indicator": (
        "PATCH", lambda i, p: f"/api/v1/indicators/{i['district']}", {"target_value": 80},
        {"district_admin": 200, "city_admin": 403, "city_leader": 403, "yuexiu_user": 403},
    ),
    "report on the city indicator": (
        "POST", lambda i, p: f"/api/v1/indicators/{i['city']}/readings", READING,
        {"city_admin": 201, "ip_user": 201, "city_leader": 403},
    ),
    "report on the district indicator": (
        "POST", lambda i, p: f"/api/v1/indicators/{i['district']}/readings", READING,
        {"district_admin": 201, "yuexiu_user": 201, "city_admin": 403, "city_leader": 403},
    ),
}


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_authorization(client, session_factory, world, indicators, endpoint, user):
    method, path, body, expected = ENDPOINTS[endpoint]
    with session_factory() as session:
        before = audit_count(session)
    response = client.request(method, path(indicators, world.plans), json=body, headers=world.headers(user))
    want = expected.get(user, 404)
    assert response.status_code == want, response.text
    with session_factory() as session:
        assert audit_count(session) == before + (1 if want < 300 else 0)


@pytest.mark.parametrize(
    ("user", "visible"),
    [("city_admin", True), ("city_leader", True), ("ip_user", True), ("dev_user", False),
     ("district_admin", False), ("other_admin", False), ("sz_user", False)],
)
def test_reading_history_reach(client, world, indicators, user, visible):
    response = client.get(f"/api/v1/indicators/{indicators['city']}/readings", headers=world.headers(user))
    assert response.status_code == (200 if visible else 404)


def test_list_with_latest_progress_and_pace(client, world, indicators):
    admin = world.headers("city_admin")
    client.post(f"/api/v1/indicators/{indicators['city']}/readings", json={"value": 5, "as_of": "2026-11-01"},
                headers=world.headers("ip_user"))
    # the plan was created on NOW (2026-11-02); the target is due 2027-12-31: 5 of 100 so early keeps pace
    [row] = client.get(f"/api/v1/plans/{world.plans['city']}/indicators", headers=admin).json()
    assert (row["name"], row["target_value"], row["unit"], row["comparison"]) == ("发明专利授权", 100, "件", "at_least")
    assert row["latest"]["value"] == 5 and row["latest"]["as_of"] == "2026-11-01"
    assert (row["progress"], row["on_track"]) == (0.05, True)
    client.post(f"/api/v1/indicators/{indicators['city']}/readings", json={"value": 20, "as_of": "2027-12-31"},
                headers=admin)
    [row] = client.get(f"/api/v1/plans/{world.plans['city']}/indicators", headers=admin).json()
    assert (row["latest"]["value"], row["progress"], row["on_track"]) == (20, 0.2, False)
    history = client.get(f"/api/v1/indicators/{indicators['city']}/readings", headers=admin).json()
    assert [r["value"] for r in history] == [20, 5]


@pytest.mark.parametrize(
    ("user", "count"), [("city_admin", 1), ("city_leader", 1), ("ip_user", 1), ("dev_user", 0)]
)
def test_departments_list_only_their_own(client, world, indicators, user, count):
    # dev supports a measure of the city plan, so it sees the plan, but no indicator is its own
    response = client.get(f"/api/v1/plans/{world.plans['city']}/indicators", headers=world.headers(user))
    assert response.status_code == 200 and len(response.json()) == count


@pytest.mark.parametrize("user", ["district_admin", "other_admin", "sz_user", "yuexiu_user"])
def test_other_offices_do_not_see_the_plan(client, world, indicators, user):
    response = client.get(f"/api/v1/plans/{world.plans['city']}/indicators", headers=world.headers(user))
    assert response.status_code == 404


def test_the_parent_office_reads_its_childs_indicators(client, world, indicators):
    response = client.get(f"/api/v1/plans/{world.plans['district']}/indicators", headers=world.headers("city_admin"))
    assert [row["id"] for row in response.json()] == [indicators["district"]]


def test_a_department_reaches_a_plan_through_its_indicator_alone(client, session_factory, world):
    with session_factory() as session:
        actor = Actor.system(world.offices["city"].id)
        plan = create_plan_from_parsed(session, actor, simple_plan("市发展改革委", []), now=NOW).plan
        session.commit()
        plan_id = plan.id
    headers = world.headers("ip_user")
    assert client.get(f"/api/v1/plans/{plan_id}/indicators", headers=headers).status_code == 404
    created = client.post(f"/api/v1/plans/{plan_id}/indicators", headers=world.headers("city_admin"),
                          json=NEW | {"department_id": world.departments["ip"].id})
    assert created.status_code == 201
    # Not while the plan is a draft: the office has not issued it yet.
    assert client.get(f"/api/v1/plans/{plan_id}/indicators", headers=headers).status_code == 404
    with session_factory() as session:
        activate_plan(session, actor, plan_id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=0)
        session.commit()
    assert [row["id"] for row in client.get(f"/api/v1/plans/{plan_id}/indicators", headers=headers).json()] == [
        created.json()["id"]
    ]


def test_plan_creation_api_takes_indicators(client, world):
    body = simple_plan("市知识产权局", []) | {
        "indicators": [{"name": "年专利交易额", "target_value": 10, "unit": "亿元", "target_date": "2020-12-31",
                        "text": "年專利交易額達到10億元以上"}]
    }
    body["indicators"].append({"name": "专利质押融资额", "target_value": 5, "unit": "亿元", "department": "市知识产权局"})
    plan = client.post("/api/v1/plans", json=body, headers=world.headers("city_admin")).json()
    rows = client.get(f"/api/v1/plans/{plan['id']}/indicators", headers=world.headers("city_admin")).json()
    assert [(row["name"], row["unit"], row["comparison"], row["target_date"], row["latest"]) for row in rows] == [
        ("年专利交易额", "亿元", "at_least", "2020-12-31", None), ("专利质押融资额", "亿元", "at_least", None, None)
    ]
    # The responsible unit named as `duban plan parse` prints it is resolved like the measures' departments.
    assert [row["department_id"] for row in rows] == [None, world.departments["ip"].id]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"comparison": "more"}),
        ("PATCH", "", {"name": ""}),
        ("PATCH", "", {"target_value": 1e15}),
        ("POST", "/readings", {"value": "many", "as_of": "2026-10-31"}),
        ("POST", "/readings", {"value": 1}),
    ],
)
def test_bad_input_is_a_422(client, world, indicators, method, suffix, body):
    response = client.request(method, f"/api/v1/indicators/{indicators['city']}{suffix}", json=body,
                              headers=world.headers("city_admin"))
    assert response.status_code == 422


def test_assigning_a_foreign_department_is_a_422(client, world, indicators):
    response = client.patch(f"/api/v1/indicators/{indicators['city']}", json={"department_id": world.departments["sz_ip"].id},
                            headers=world.headers("city_admin"))
    assert response.status_code == 422 and "不是本办公室的单位" in response.json()["detail"]
