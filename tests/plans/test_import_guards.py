"""What the importer refuses: bad uploads (nothing written), other roles and
offices, edits of a plan that is no longer a draft."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.audit.models import AuditEvent
from service.clock import FixedClock
from service.config import Settings
from service.departments.models import Department
from service.plans.models import Assignment, Measure, Plan
from tests.factories import NOW, simple_plan

from .conftest import seed_path

COUNTED = (Plan, Measure, Assignment, Department, AuditEvent)


def _counts(session_factory) -> dict[str, int]:
    with session_factory() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


@pytest.fixture
def small_limit_client(session_factory, database_url):
    app = create_app(Settings(database_url=database_url, import_max_bytes=4096), clock=FixedClock(NOW))
    with TestClient(app) as client:
        yield client


def _file(name: str, data: bytes, content_type: str = "application/octet-stream") -> dict:
    return {"files": {"file": (name, data, content_type)}}


BAD_UPLOADS = {
    "empty file": (_file("plan.txt", b""), 422),
    "binary": (_file("plan.txt", bytes(range(256)) * 16), 422),
    "prose, not a plan": (_file("plan.txt", "这只是一段普通的文字，没有任务。".encode()), 422),
    "UTF-16 text": (_file("plan.txt", seed_path("003").read_text(encoding="utf-8").encode("utf-16")[:3000]), 422),
    "broken xlsx": (_file("plan.xlsx", b"PK\x03\x04 not really a zip"), 422),
    "too big": (_file("plan.txt", seed_path("003").read_bytes()), 413),
    "too big to even read": (_file("plan.txt", "一、任务".encode() * 100_000), 413),
    "no file field": ({"files": {"document": ("plan.txt", b"x", "text/plain")}}, 422),
    "empty text": ({"json": {"text": "   "}}, 422),
    "text not a string": ({"json": {"text": 42}}, 422),
    "JSON too big": ({"json": {"text": seed_path("003").read_text(encoding="utf-8")}}, 413),
    "plain body": ({"content": b"hello", "headers": {"content-type": "text/plain"}}, 415),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_is_refused_and_writes_nothing(case, small_limit_client, world, session_factory):
    request, status = BAD_UPLOADS[case]
    request = dict(request)
    headers = world.headers("city_admin") | request.pop("headers", {})
    before = _counts(session_factory)
    response = small_limit_client.post("/api/v1/plans/import", headers=headers, **request)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert _counts(session_factory) == before


def test_the_default_limit_accepts_the_guangzhou_plan(client, world):
    upload = _file("gz.txt", seed_path("003").read_bytes())
    response = client.post("/api/v1/plans/import", headers=world.headers("city_admin"), **upload)
    assert response.status_code == 201, response.text


USERS = ["city_admin", "city_leader", "ip_user", "district_admin", "other_admin", "sz_user"]


def _draft(session, world):
    from service.auth.actor import Actor
    from service.flows.plan_creation import create_plan_from_parsed

    actor = Actor.system(world.offices["city"].id)
    return create_plan_from_parsed(session, actor, simple_plan("市知识产权局", ["市新单位"]), now=NOW).plan


def _import_request(session, world):
    return "POST", "/api/v1/plans/import", {"text": seed_path("003").read_text(encoding="utf-8")}


def _mapping_request(session, world):
    return "POST", f"/api/v1/plans/{_draft(session, world).id}/department-mapping", {"mapping": {"市新单位": None}}


def _update_request(session, world):
    plan = _draft(session, world)
    session.flush()
    return "PATCH", f"/api/v1/plans/{plan.id}/measures/{plan.measures[0].id}", {"text": "改写后的措施。"}


# A non-admin is refused for the role (403); an admin who cannot see the plan gets 404.
ENDPOINTS = {
    "import": (_import_request, {"city_admin": "ok", "district_admin": "ok", "other_admin": "ok"}),
    "mapping": (_mapping_request, {"city_admin": "ok", "district_admin": 404, "other_admin": 404}),
    "update measure": (_update_request, {"city_admin": "ok", "district_admin": 404, "other_admin": 404}),
}
CASES = [(endpoint, username) for endpoint in ENDPOINTS for username in USERS]


@pytest.mark.parametrize(("endpoint", "username"), CASES, ids=[f"{e}-{u}" for e, u in CASES])
def test_authorization(endpoint, username, client, world, session_factory):
    prepare, expectations = ENDPOINTS[endpoint]
    with session_factory() as session:
        method, url, body = prepare(session, world)
        session.commit()
    before = _counts(session_factory)
    response = client.request(method, url, json=body, headers=world.headers(username))
    expected = expectations.get(username, 403)
    if expected == "ok":
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == expected, response.text
        assert response.json()["detail"]
        assert _counts(session_factory) == before


def test_parent_office_reads_the_preview_but_cannot_map(client, world, session_factory):
    from service.auth.actor import Actor
    from service.flows.plan_creation import create_plan_from_parsed

    with session_factory() as session:
        actor = Actor.system(world.offices["district"].id)
        plan = create_plan_from_parsed(session, actor, simple_plan("越秀区新单位", []), now=NOW).plan
        session.commit()
    preview = client.get(f"/api/v1/plans/{plan.id}/import-preview", headers=world.headers("city_admin"))
    assert preview.status_code == 200 and preview.json()["unmatched"][0]["name"] == "越秀区新单位"
    response = client.post(
        f"/api/v1/plans/{plan.id}/department-mapping", json={"mapping": {"越秀区新单位": None}},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 403


def test_update_measure_replaces_text_deadline_and_departments(client, world, session_factory):
    with session_factory() as session:
        plan = _draft(session, world)
        session.commit()
        measure_id = plan.measures[0].id
    ip, dev = world.departments["ip"].id, world.departments["dev"].id
    response = client.patch(
        f"/api/v1/plans/{plan.id}/measures/{measure_id}",
        json={"text": "新的措施内容。", "deadline": "2027-06-30", "lead": [dev], "support": [ip, dev]},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "新的措施内容。" and body["deadline"] == "2027-06-30"
    assert sorted((a["department_id"], a["role"]) for a in body["assignments"]) == sorted(
        [(dev, "lead"), (ip, "support")]
    )
    with session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "measure.update")).one()
        assert event.before["text"] == "措施1。" and event.after["lead"] == [dev]

    cleared = client.patch(
        f"/api/v1/plans/{plan.id}/measures/{measure_id}", json={"deadline": None}, headers=world.headers("city_admin")
    )
    assert cleared.json()["deadline"] is None and len(cleared.json()["assignments"]) == 2


def test_update_measure_refuses_foreign_departments_and_active_plans(client, world, session_factory):
    with session_factory() as session:
        plan = _draft(session, world)
        session.commit()
        measure_id = plan.measures[0].id
        active = session.get(Plan, world.plans["city"])
        active_measure = active.measures[0].id
    headers = world.headers("city_admin")
    foreign = world.departments["sz_ip"].id
    response = client.patch(f"/api/v1/plans/{plan.id}/measures/{measure_id}", json={"lead": [foreign]}, headers=headers)
    assert response.status_code == 422 and str(foreign) in response.json()["detail"]
    response = client.patch(
        f"/api/v1/plans/{world.plans['city']}/measures/{active_measure}", json={"text": "改"}, headers=headers
    )
    assert response.status_code == 409
    response = client.patch(f"/api/v1/plans/{plan.id}/measures/{active_measure}", json={"text": "改"}, headers=headers)
    assert response.status_code == 404
