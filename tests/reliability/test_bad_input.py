"""Bad input over HTTP: every case answers 4xx with a message and leaves every
table as it was."""

import io

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.factories import NOW, simple_plan

BIG = 2**63  # past every integer column, and past SQLite's own integers


def _milestone_id(client, world):
    page = client.get("/api/v1/milestones", headers=world.headers("ip_user")).json()
    return page["items"][0]["id"]


CASES = [
    # (name, user, method, path, kwargs)
    ("broken json", "city_admin", "post", "/api/v1/plans",
     {"content": b'{"title": "x", "phases": [', "headers": {"content-type": "application/json"}}),
    ("json of the wrong shape", "city_admin", "post", "/api/v1/plans", {"json": ["not", "an", "object"]}),
    ("not utf-8 json", "city_admin", "post", "/api/v1/departments",
     {"content": '{"name": "市知识产权局"}'.encode("gbk"), "headers": {"content-type": "application/json"}}),
    ("NUL in a login name", None, "post", "/api/v1/auth/token", {"json": {"username": "\x00", "password": "x\x00"}}),
    ("phase deadline out of range", "city_admin", "post", "/api/v1/plans",
     {"json": simple_plan("市知识产权局", [], deadlines=("99999-12-31",))}),
    ("impossible phase deadline", "city_admin", "post", "/api/v1/plans",
     {"json": simple_plan("市知识产权局", [], deadlines=("2026-02-30",))}),
    ("extension to year 10000", "ip_user", "post", "/api/v1/milestones/{milestone}/extension-requests",
     {"json": {"new_due_date": "10000-01-01", "reason": "延期"}}),
    ("extension to year 1", "ip_user", "post", "/api/v1/milestones/{milestone}/extension-requests",
     {"json": {"new_due_date": "0001-01-01", "reason": "延期"}}),
    ("report percent out of range", "ip_user", "post", "/api/v1/milestones/{milestone}/reports",
     {"json": {"text": "进展", "percent": 101}}),
    ("unknown department's channels", "city_admin", "post", "/api/v1/departments/999999/channels",
     {"json": {"type": "email", "target": "a@example.cn"}}),
    ("unknown department's members", "city_admin", "put", "/api/v1/departments/999999/members",
     {"json": {"member_ids": [1]}}),
    ("unknown department in a user", "city_admin", "post", "/api/v1/users",
     {"json": {"username": "nobody", "password": "long-enough-1", "role": "department", "department_id": 999999}}),
    ("department id past every integer", "city_admin", "get", f"/api/v1/milestones?department_id={BIG}", {}),
    ("plan id past every integer", "city_admin", "get", f"/api/v1/milestones?plan_id={BIG}", {}),
    ("upload of random bytes", "city_admin", "post", "/api/v1/plans/import",
     {"files": {"file": ("plan.docx", io.BytesIO(bytes(range(256)) * 64), "application/octet-stream")}}),
    ("upload of a GBK text without a plan in it", "city_admin", "post", "/api/v1/plans/import",
     {"files": {"file": ("plan.txt", io.BytesIO("没有措施的通知".encode("gbk") * 3), "text/plain")}}),
    ("empty upload", "city_admin", "post", "/api/v1/plans/import",
     {"files": {"file": ("plan.txt", io.BytesIO(b""), "text/plain")}}),
]


@pytest.mark.parametrize("name,user,method,path,kwargs", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_4xx_with_a_message_and_changes_nothing(client, world, counts, name, user, method, path, kwargs):
    if "{milestone}" in path:
        path = path.format(milestone=_milestone_id(client, world))
    headers = {**(world.headers(user) if user else {}), **kwargs.pop("headers", {})}
    before = counts()
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    detail = response.json()["detail"]
    assert detail and isinstance(detail, str)  # the shape the OpenAPI document gives every refusal
    after = counts()
    # A refused login is recorded on purpose (the login rate limit counts it).
    after.pop("login_attempts"), before.pop("login_attempts")
    assert after == before


@pytest.fixture
def small_limit_client(database_url, session_factory):
    app = create_app(Settings(database_url=database_url, max_request_bytes=64 * 1024), clock=FixedClock(NOW))
    with TestClient(app) as client:
        yield client


def test_body_over_the_limit_is_413_by_content_length(small_limit_client, world, counts):
    before = counts()
    huge = {"name": "市知识产权局", "aliases": ["别名" * 10] * 5000}
    response = small_limit_client.post("/api/v1/departments", headers=world.headers("city_admin"), json=huge)
    assert response.status_code == 413
    assert "0.0625 MB" in response.json()["detail"]
    assert counts() == before


def test_chunked_body_over_the_limit_is_413(small_limit_client, world, counts):
    before = counts()

    def chunks():
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = small_limit_client.post(
        "/api/v1/departments",
        headers={**world.headers("city_admin"), "content-type": "application/json"},
        content=chunks(),
    )
    assert response.status_code == 413
    assert response.json()["detail"]
    assert counts() == before


def test_huge_json_plan_is_refused_at_the_default_limit(client, world, counts):
    before = counts()
    plan = simple_plan("市知识产权局", [])
    plan["tasks"][0]["measures"] = [{"text": "措" * 1000, "lead": ["市知识产权局"], "support": [], "deadline": None}] * 9000
    response = client.post("/api/v1/plans", headers=world.headers("city_admin"), json=plan)
    assert response.status_code == 413
    assert "25 MB" in response.json()["detail"]
    assert counts() == before


def test_body_under_the_limit_still_works(small_limit_client, world):
    response = small_limit_client.post(
        "/api/v1/departments", headers=world.headers("city_admin"), json={"name": "市市场监管局"}
    )
    assert response.status_code == 201, response.text


def test_the_openapi_document_describes_refusals_as_they_are_sent(client):
    document = client.get("/openapi.json").json()
    error = document["components"]["schemas"]["HTTPValidationError"]
    assert error["properties"]["detail"]["type"] == "string" and error["required"] == ["detail"]
    assert "ValidationError" not in document["components"]["schemas"]
    create = document["paths"]["/api/v1/departments"]["post"]["responses"]["422"]
    assert create["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/HTTPValidationError"
