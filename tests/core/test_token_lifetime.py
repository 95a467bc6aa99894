"""API tokens expire (DUBAN_TOKEN_TTL_DAYS); integrations get long-lived tokens
from an admin, who sees and revokes them."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.auth.models import ApiToken
from service.clock import FixedClock
from service.config import Settings
from tests.factories import NOW, PASSWORD, build_world


def _client(database_url: str, clock: FixedClock, **settings) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, **settings), clock=clock))


def test_a_login_token_expires_after_the_configured_days(session, database_url):
    build_world(session)
    clock = FixedClock(NOW)
    client = _client(database_url, clock, token_ttl_days=7)
    answer = client.post("/api/v1/auth/token", json={"username": "ip_user", "password": PASSWORD}).json()
    assert answer["expires_at"].startswith((NOW + timedelta(days=7)).isoformat()[:19])
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    clock.instant += timedelta(days=7) - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.instant += timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_default_lifetime_is_thirty_days(session, database_url):
    build_world(session)
    client = _client(database_url, FixedClock(NOW))
    client.post("/api/v1/auth/token", json={"username": "ip_user", "password": PASSWORD})
    session.expire_all()
    token = session.scalars(select(ApiToken).where(ApiToken.name == "api login")).one()
    assert token.expires_at == NOW + timedelta(days=30)


def test_admin_issues_lists_and_revokes_an_integration_token(session, database_url):
    world = build_world(session)
    clock = FixedClock(NOW)
    client = _client(database_url, clock)
    admin = world.headers("city_admin")
    issued = client.post("/api/v1/tokens", headers=admin,
                         json={"user_id": world.users["ip_user"].id, "name": "OA 系统对接"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["expires_at"] is None and body["created_by"] == "city_admin" and body["username"] == "ip_user"
    integration = {"Authorization": f"Bearer {body['token']}"}
    clock.instant = NOW + timedelta(days=400)  # long past any login token's lifetime
    assert client.get("/api/v1/me", headers=integration).status_code == 200
    clock.instant = NOW + timedelta(days=1)  # while the admins' own logins are valid
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert [(t["id"], t["name"]) for t in listed] == [(body["id"], "OA 系统对接")]
    assert listed[0]["last_used_at"] is not None and "token" not in listed[0]

    # Another office's admin neither sees nor revokes it; department users cannot list.
    assert client.get("/api/v1/tokens", headers=world.headers("other_admin")).json() == []
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=world.headers("other_admin")).status_code == 404
    assert client.get("/api/v1/tokens", headers=world.headers("ip_user")).status_code == 403

    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=admin).json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=integration).status_code == 401


def test_an_integration_token_with_a_lifetime_expires(session, database_url):
    world = build_world(session)
    clock = FixedClock(NOW)
    client = _client(database_url, clock)
    body = client.post("/api/v1/tokens", headers=world.headers("city_admin"),
                       json={"user_id": world.users["ip_user"].id, "name": "报表", "days": 90}).json()
    clock.instant += timedelta(days=90)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 401
    clock.instant = NOW
    refused = client.post("/api/v1/tokens", headers=world.headers("city_admin"),
                          json={"user_id": world.users["other_admin"].id, "name": "x"})
    assert refused.status_code == 404 and "用户" in refused.json()["detail"]
