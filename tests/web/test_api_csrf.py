"""The REST API and the web forms against cross-site request forgery: a page on
a sibling host makes the logged-in browser post to /api/v1 with its cookie."""

import pytest
from sqlalchemy import func, select

from service.plans.models import Plan
from tests.plans.conftest import seed_path
from tests.web.test_plan_lifecycle import plan_status
from tests.web.test_users import audit_count

PLAN_TEXT = seed_path("003").read_text(encoding="utf-8")
SIBLING = {"Origin": "http://evil.example.gov.cn", "Referer": "http://evil.example.gov.cn/page"}


def plan_count(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Plan))
    session.commit()
    return count


@pytest.fixture
def admin(client_factory, world):
    return client_factory().login("city_admin")


# What an auto-submitting <form> on another page can send: the cookies, no header of ours.
FORGED = {
    "urlencoded": {"data": {"confirm": "1"}},
    "multipart": {"files": {"file": ("plan.txt", PLAN_TEXT.encode(), "text/plain")}},
}


@pytest.mark.parametrize("shape", sorted(FORGED))
@pytest.mark.parametrize("headers", [{}, SIBLING], ids=["no-origin", "sibling-origin"])
def test_a_forged_form_with_only_the_cookie_changes_nothing(session, world, admin, shape, headers):
    plan_id = world.plans["city"]
    plans, events = plan_count(session), audit_count(session)
    for path in (f"/api/v1/plans/{plan_id}/archive", "/api/v1/plans/import", f"/api/v1/plans/{plan_id}/links/revoke"):
        response = admin.post(path, headers=headers, **FORGED[shape])
        assert response.status_code == 403, (path, response.text)
        assert "CSRF" in response.json()["detail"] or "其他网站" in response.json()["detail"]
    assert plan_status(session, plan_id) == "active"
    assert plan_count(session) == plans and audit_count(session) == events


def test_a_page_of_ours_calls_the_api_with_the_token_header(session, world, admin):
    plan_id = world.plans["city"]
    token = admin.csrf("/")
    own = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    assert admin.post(f"/api/v1/plans/{plan_id}/archive", headers=own).status_code == 200
    assert plan_status(session, plan_id) == "archived"
    # The right token from a foreign page (leaked, say) is still refused.
    refused = admin.post(f"/api/v1/plans/{plan_id}/restore", headers={"X-CSRF-Token": token} | SIBLING)
    assert refused.status_code == 403 and "其他网站" in refused.json()["detail"]
    assert plan_status(session, plan_id) == "archived"
    # Reading with the cookie needs no token.
    assert admin.get(f"/api/v1/plans/{plan_id}").status_code == 200


def test_bearer_calls_need_no_csrf_token(client_factory, session, world):
    client = client_factory()
    bearer = world.headers("city_admin")
    plan_id = world.plans["city"]
    assert client.post(f"/api/v1/plans/{plan_id}/archive", headers=bearer | SIBLING).status_code == 200
    assert client.post("/api/v1/plans/import", headers=bearer, json={"text": PLAN_TEXT}).status_code == 201


def test_web_forms_refuse_a_foreign_origin_even_with_the_token(session, world, admin):
    plan_id = world.plans["city"]
    data = {"confirm": "1", "csrf_token": admin.csrf(f"/plans/{plan_id}")}
    refused = admin.post(f"/plans/{plan_id}/archive", data=data, headers=SIBLING)
    assert refused.status_code == 403 and "其他网站" in refused.text
    assert plan_status(session, plan_id) == "active"
    same_site = admin.post(f"/plans/{plan_id}/archive", data=data, headers={"Origin": "http://testserver"})
    assert same_site.status_code == 200 and plan_status(session, plan_id) == "archived"
