"""The whole core flow over HTTP, as a newcomer would walk it."""

from service.auth.models import User
from service.auth.passwords import hash_password
from service.offices.models import Office
from tests.factories import simple_plan


def _login(client, username, password):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_plan_to_approved_milestone_with_full_audit_trail(client, session_factory):
    with session_factory() as session:
        office = Office(name="广州市知识产权工作领导小组办公室")
        session.add(office)
        session.flush()
        session.add(User(office_id=office.id, username="office", password_hash=hash_password("office-pass-1"), role="admin"))
        session.commit()
    admin = _login(client, "office", "office-pass-1")
    assert client.get("/api/v1/me", headers=admin).json()["role"] == "admin"

    ip = client.post(
        "/api/v1/departments",
        headers=admin,
        json={
            "name": "市知识产权局",
            "aliases": ["知识产权局"],
            "emails": ["ipo@gz.gov.cn"],
            "mobiles": ["13800000001"],
            "head": {"name": "张局长", "email": "head@gz.gov.cn", "mobile": "13800000002"},
        },
    )
    assert ip.status_code == 201, ip.text
    ip_id = ip.json()["id"]
    assert ip.json()["head"]["name"] == "张局长"
    created_user = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "zscqj", "password": "dept-pass-1", "role": "department", "department_id": ip_id},
    )
    assert created_user.status_code == 201, created_user.text

    plan = client.post("/api/v1/plans", headers=admin, json=simple_plan("知识产权局", ["市发展改革委"]))
    assert plan.status_code == 201, plan.text
    # Matched through the alias; the unknown support unit waits for confirmation.
    assert plan.json()["matched_departments"] == ["知识产权局"]
    assert plan.json()["unmatched_departments"] == ["市发展改革委"]
    plan_id = plan.json()["id"]
    refused = client.post(f"/api/v1/plans/{plan_id}/activate", headers=admin)
    assert refused.status_code == 409 and "未确认" in refused.json()["detail"]
    dev = next(d for d in client.get("/api/v1/departments", headers=admin).json() if d["name"] == "市发展改革委")
    assert client.patch(f"/api/v1/departments/{dev['id']}", headers=admin, json={"confirmed": True}).status_code == 200

    activated = client.post(f"/api/v1/plans/{plan_id}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    assert activated.json() == {"milestones_created": 2}
    tree = client.get(f"/api/v1/plans/{plan_id}", headers=admin).json()
    assert tree["status"] == "active"
    assert tree["tasks"][0]["measures"][0]["assignments"][0]["role"] == "lead"

    dept = _login(client, "zscqj", "dept-pass-1")
    # The admin chose that password: it must be replaced before any work.
    assert client.get("/api/v1/milestones", headers=dept).status_code == 403
    changed = client.post(
        "/api/v1/me/password", headers=dept, json={"current_password": "dept-pass-1", "new_password": "own-pass-22"}
    )
    assert changed.status_code == 204, changed.text
    mine = client.get("/api/v1/milestones", headers=dept).json()
    assert mine["total"] == 1
    milestone = mine["items"][0]
    assert (milestone["role"], milestone["state"], milestone["due_date"]) == ("lead", "pending", "2026-12-31")
    mid = milestone["id"]

    assert client.post(f"/api/v1/milestones/{mid}/ack", headers=dept).json()["state"] == "acknowledged"
    first = client.post(f"/api/v1/milestones/{mid}/reports", headers=dept, json={"text": "已起草方案", "percent": 60})
    assert first.status_code == 201, first.text
    returned = client.post(
        f"/api/v1/milestones/{mid}/review", headers=admin, json={"decision": "return", "comment": "请补充经费安排"}
    )
    assert returned.status_code == 200 and returned.json()["decision"] == "return"
    assert client.get(f"/api/v1/milestones/{mid}", headers=dept).json()["state"] == "returned"
    again = client.post(f"/api/v1/milestones/{mid}/reports", headers=dept, json={"text": "已补充经费安排", "percent": 100})
    assert again.status_code == 201
    approved = client.post(f"/api/v1/milestones/{mid}/review", headers=admin, json={"decision": "approve"})
    assert approved.status_code == 200
    detail = client.get(f"/api/v1/milestones/{mid}", headers=dept).json()
    assert detail["state"] == "approved"
    assert [r["percent"] for r in detail["reports"]] == [60, 100]

    trail = client.get("/api/v1/audit", headers=admin, params={"entity": "milestone", "id": mid}).json()
    assert [e["action"] for e in trail] == [
        "milestone.acknowledge",
        "milestone.report",
        "milestone.return",
        "milestone.report",
        "milestone.approve",
    ]
    assert [e["actor_name"] for e in trail] == ["zscqj", "zscqj", "office", "zscqj", "office"]
    assert trail[2]["after"]["comment"] == "请补充经费安排"

    # The 操作记录 page's filters: by department, by action, newest first, by time.
    returns = client.get("/api/v1/audit", headers=admin, params={
        "department_id": detail["department_id"], "action": "milestone.report", "newest_first": True}).json()
    assert [e["id"] for e in returns] == sorted((e["id"] for e in trail if e["action"] == "milestone.report"), reverse=True)
    later = trail[-1]["created_at"]
    assert client.get("/api/v1/audit", headers=admin, params={"since": later, "entity": "milestone"}).json()
    naive = client.get("/api/v1/audit", headers=admin, params={"since": "2026-11-01T00:00:00"})
    assert naive.status_code == 422 and "since" in naive.json()["detail"]


def test_bad_input_answers_4xx_with_a_message(client, world):
    admin = world.headers("city_admin")
    cases = [
        ("POST", "/api/v1/plans", {"title": ""}),
        ("POST", "/api/v1/plans", {"title": "x", "phases": [{"name": "p", "deadline": "2026-13-45"}]}),
        ("POST", "/api/v1/departments", {"name": "   "}),
        ("POST", "/api/v1/users", {"username": "u", "password": "short", "role": "admin"}),
        ("POST", "/api/v1/users", {"username": "u", "password": "long-enough", "role": "emperor"}),
        ("GET", "/api/v1/milestones?state=lost", None),
        ("GET", "/api/v1/milestones?limit=100000", None),
        ("POST", "/api/v1/milestones/999999/ack", None),
        ("POST", "/api/v1/auth/token", {"username": "nobody"}),
    ]
    for method, url, body in cases:
        response = client.request(method, url, json=body, headers=admin)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert isinstance(response.json()["detail"], str) and response.json()["detail"], url
    not_json = client.post("/api/v1/plans", content=b"\xff\xfe not json", headers=admin | {"content-type": "application/json"})
    assert not_json.status_code in (400, 422) and isinstance(not_json.json()["detail"], str)


def test_login_is_rate_limited(client, world):
    for _ in range(10):
        assert client.post("/api/v1/auth/token", json={"username": "ip_user", "password": "wrong"}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "ip_user", "password": "wrong"})
    assert response.status_code == 429 and "频繁" in response.json()["detail"]
