"""Every state-changing core endpoint × each role × own / other department ×
own / child / other office, over HTTP, with the status code each must answer.
A refused call changes nothing (the audit log does not grow).
"""

from datetime import date

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.flows import archival
from service.milestones import service as workflow
from service.flows.plan_creation import create_plan_from_parsed
from tests.factories import NOW, milestones_of, simple_plan

USERS = ["city_admin", "city_leader", "ip_user", "dev_user", "district_admin", "other_admin", "sz_user"]


def _lead(session, world):
    return milestones_of(session, world, "ip")[0]


def _submitted_lead(session, world):
    milestone = _lead(session, world)
    workflow.submit_report(session, world.actor(session, "ip_user"), milestone.id, text="x", percent=50, now=NOW)
    return milestone


def _approved_lead(session, world):
    milestone = _submitted_lead(session, world)
    workflow.review(session, world.actor(session, "city_admin"), milestone.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    return milestone


def _pending_extension(session, world):
    milestone = _lead(session, world)
    return workflow.request_extension(
        session, world.actor(session, "ip_user"), milestone.id, new_due_date=date(2027, 3, 31), reason="r", now=NOW
    )


def _draft_plan(session, world):
    actor = Actor.system(world.offices["city"].id)
    return create_plan_from_parsed(session, actor, simple_plan("市知识产权局", []), now=NOW).plan


def _archived_plan(session, world, key: str = "city"):
    archival.archive_plan(session, Actor.system(world.offices[key].id), world.plans[key], now=NOW)
    return world.plans[key]


def _child_submitted(session, world):
    milestone = milestones_of(session, world, "yuexiu_ip")[0]
    workflow.submit_report(session, world.actor(session, "yuexiu_user"), milestone.id, text="x", percent=5, now=NOW)
    return milestone


# endpoint: (prepare(session, world) -> request tuple, expected status per user)
OK_ADMINS = {"city_admin": "ok", "district_admin": "ok", "other_admin": "ok"}
ENDPOINTS = {
    "create user": (
        lambda s, w: ("POST", "/api/v1/users", {"username": "new_leader", "password": "password-123", "role": "leader"}),
        OK_ADMINS,
        {},
    ),
    "create department": (
        lambda s, w: ("POST", "/api/v1/departments", {"name": "市新单位"}),
        OK_ADMINS,
        {},
    ),
    "update department": (
        lambda s, w: ("PATCH", f"/api/v1/departments/{w.departments['ip'].id}", {"aliases": ["知识产权局"]}),
        {"city_admin": "ok"},
        {"ip_user": 403},
    ),
    "set group members": (
        lambda s, w: (
            "PUT", f"/api/v1/departments/{w.departments['ip'].id}/members", {"member_ids": [w.departments["dev"].id]},
        ),
        {"city_admin": "ok"},
        {"ip_user": 403},
    ),
    "create plan": (
        lambda s, w: ("POST", "/api/v1/plans", simple_plan("市知识产权局", ["市发展改革委"])),
        OK_ADMINS,
        {},
    ),
    "activate plan": (
        lambda s, w: ("POST", f"/api/v1/plans/{_draft_plan(s, w).id}/activate", None),
        {"city_admin": "ok"},
        {},
    ),
    "acknowledge": (
        lambda s, w: ("POST", f"/api/v1/milestones/{_lead(s, w).id}/ack", None),
        {"ip_user": "ok"},
        {"city_admin": 403},
    ),
    "report": (
        lambda s, w: ("POST", f"/api/v1/milestones/{_lead(s, w).id}/reports", {"text": "进展", "percent": 30}),
        {"ip_user": "ok"},
        {"city_admin": 403},
    ),
    "review": (
        lambda s, w: ("POST", f"/api/v1/milestones/{_submitted_lead(s, w).id}/review", {"decision": "approve", "confirm_below_100": True}),
        {"city_admin": "ok"},
        {"ip_user": 403},
    ),
    "reopen": (
        lambda s, w: ("POST", f"/api/v1/milestones/{_approved_lead(s, w).id}/reopen", {"comment": "数据有误"}),
        {"city_admin": "ok"},
        {"ip_user": 403},
    ),
    "request extension": (
        lambda s, w: (
            "POST", f"/api/v1/milestones/{_lead(s, w).id}/extension-requests",
            {"new_due_date": "2027-03-31", "reason": "等待批复"},
        ),
        {"ip_user": "ok"},
        {"city_admin": 403},
    ),
    "decide extension": (
        lambda s, w: ("POST", f"/api/v1/extension-requests/{_pending_extension(s, w).id}/decision", {"approve": True}),
        {"city_admin": "ok"},
        {"ip_user": 403},
    ),
    "archive plan": (
        lambda s, w: ("POST", f"/api/v1/plans/{w.plans['city']}/archive", None),
        {"city_admin": "ok"},
        {"ip_user": 403, "dev_user": 403},  # departments with work in the plan read it
    ),
    "restore plan": (
        lambda s, w: ("POST", f"/api/v1/plans/{_archived_plan(s, w)}/restore", None),
        {"city_admin": "ok"},
        {"ip_user": 403, "dev_user": 403},
    ),
    "archive child office plan": (
        lambda s, w: ("POST", f"/api/v1/plans/{w.plans['district']}/archive", None),
        {"district_admin": "ok"},
        {"city_admin": 403},
    ),
    "restore child office plan": (
        lambda s, w: ("POST", f"/api/v1/plans/{_archived_plan(s, w, 'district')}/restore", None),
        {"district_admin": "ok"},
        {"city_admin": 403},
    ),
    "review child office work": (
        lambda s, w: ("POST", f"/api/v1/milestones/{_child_submitted(s, w).id}/review", {"decision": "approve", "confirm_below_100": True}),
        {"district_admin": "ok"},
        {"city_admin": 403},
    ),
}


def _expected(endpoint: str, username: str) -> str | int:
    _, allowed, visible_but_forbidden = ENDPOINTS[endpoint]
    if username in allowed:
        return "ok"
    if username in visible_but_forbidden:
        return visible_but_forbidden[username]
    if username == "city_leader":
        return 403  # a leader reads everything of its office and changes nothing
    # Creating things is about the role; an object outside one's reach is not there.
    return 403 if endpoint.startswith("create") else 404


CASES = [(endpoint, username) for endpoint in ENDPOINTS for username in USERS]


@pytest.mark.parametrize(("endpoint", "username"), CASES, ids=[f"{e}-{u}" for e, u in CASES])
def test_authorization_matrix(endpoint, username, client, world, session_factory):
    with session_factory() as session:
        method, url, body = ENDPOINTS[endpoint][0](session, world)
        session.commit()
        audit_before = session.scalar(select(func.count(AuditEvent.id)))
    response = client.request(method, url, json=body, headers=world.headers(username))
    expected = _expected(endpoint, username)
    if expected == "ok":
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == expected, response.text
        assert response.json()["detail"]
        with session_factory() as session:
            assert session.scalar(select(func.count(AuditEvent.id))) == audit_before


def test_department_user_sees_only_own_milestones(client, world):
    response = client.get("/api/v1/milestones", headers=world.headers("dev_user"))
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and {m["department_id"] for m in items} == {world.departments["dev"].id}


def test_office_lists_own_and_child_offices_milestones_only(client, world):
    city = client.get("/api/v1/milestones", headers=world.headers("city_admin")).json()["items"]
    plans = {m["plan_id"] for m in city}
    assert plans == {world.plans["city"], world.plans["district"]}
    district = client.get("/api/v1/milestones", headers=world.headers("district_admin")).json()["items"]
    assert {m["plan_id"] for m in district} == {world.plans["district"]}


def test_requests_without_a_valid_token_are_refused(client, world):
    assert client.get("/api/v1/milestones").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_revoked_token_stops_working(client, world):
    headers = world.headers("ip_user")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
