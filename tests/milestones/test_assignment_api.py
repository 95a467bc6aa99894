"""The 督办件 API: the work list's fields and filters, batch 签收, progress, and who may do what."""

from service.milestones.models import Milestone
from service.plans.models import Assignment
from tests.factories import build_world
from tests.milestones.test_assignments import phased_plan


def _setup(session_factory):
    with session_factory() as session:
        world = build_world(session)
        plan_id = phased_plan(session, world)
        session.commit()
    return world, plan_id


def test_work_list_answers_the_documented_fields(client, session_factory):
    world, plan_id = _setup(session_factory)
    ip = world.headers("ip_user")
    body = client.get("/api/v1/assignments", headers=ip, params={"plan_id": plan_id}).json()
    assert body["total"] == 3
    item = body["items"][0]
    assert set(item) == {
        "id", "plan_id", "plan_title", "measure_id", "measure_text", "department_id", "role", "signed_at",
        "current_milestone", "milestones_total", "milestones_closed", "latest_progress",
    }
    assert item["role"] == "lead" and item["signed_at"] is None and item["latest_progress"] is None
    assert item["current_milestone"] | {"id": 0} == {"id": 0, "due_date": "2026-11-06", "state": "pending", "overdue": False}
    assert (item["milestones_total"], item["milestones_closed"]) == (2, 0)
    # Without a plan_id: every item of the caller's active plans (the world's own plan too).
    assert client.get("/api/v1/assignments", headers=ip).json()["total"] == 4
    assert client.get("/api/v1/assignments", headers=ip, params={"per_page": 51}).status_code == 422
    assert client.get("/api/v1/assignments", headers=ip, params={"status": "late"}).status_code == 422
    two = client.get("/api/v1/assignments", headers=ip, params={"plan_id": plan_id, "per_page": 2, "page": 2}).json()
    assert two["total"] == 3 and len(two["items"]) == 1


def test_batch_sign_then_progress_then_office_reads(client, session_factory):
    world, plan_id = _setup(session_factory)
    ip, admin = world.headers("ip_user"), world.headers("city_admin")
    signed = client.post("/api/v1/assignments/ack", headers=ip, json={"plan_id": plan_id})
    assert signed.status_code == 200 and signed.json() == {"signed": 3}
    assert client.post("/api/v1/assignments/ack", headers=ip, json={"plan_id": plan_id}).json() == {"signed": 0}
    assert client.post("/api/v1/assignments/ack", headers=ip, json={}).status_code == 422
    items = client.get("/api/v1/assignments", headers=ip, params={"plan_id": plan_id}).json()["items"]
    assert all(i["signed_at"] for i in items)
    first = items[0]
    progress = client.post(f"/api/v1/assignments/{first['id']}/progress", headers=ip, json={"text": "完成调研", "percent": 30})
    assert progress.status_code == 201, progress.text
    again = client.get(f"/api/v1/assignments/{first['id']}", headers=ip).json()
    assert again["latest_progress"]["percent"] == 30 and again["current_milestone"]["state"] == "acknowledged"
    read = client.post(f"/api/v1/progress/{progress.json()['id']}/review", headers=admin, json={"decision": "read"})
    assert read.status_code == 200 and read.json()["review"] == "read"
    listed = client.get(f"/api/v1/assignments/{first['id']}/progress", headers=admin).json()
    assert [p["review"] for p in listed] == ["read"]


def test_milestone_ack_signs_the_item_and_review_below_100_asks_to_confirm(client, session_factory):
    world, plan_id = _setup(session_factory)
    ip, admin = world.headers("ip_user"), world.headers("city_admin")
    item = client.get("/api/v1/assignments", headers=ip, params={"plan_id": plan_id}).json()["items"][0]
    mid = item["current_milestone"]["id"]
    assert client.post(f"/api/v1/milestones/{mid}/ack", headers=ip).status_code == 200
    assert client.get(f"/api/v1/assignments/{item['id']}", headers=ip).json()["signed_at"]
    assert client.post(f"/api/v1/milestones/{mid}/reports", headers=ip, json={"text": "阶段完成", "percent": 30}).status_code == 201
    refused = client.post(f"/api/v1/milestones/{mid}/review", headers=admin, json={"decision": "approve"})
    assert refused.status_code == 409 and "30%" in refused.json()["detail"]
    confirmed = client.post(
        f"/api/v1/milestones/{mid}/review", headers=admin, json={"decision": "approve", "confirm_below_100": True}
    )
    assert confirmed.status_code == 200
    after = client.get(f"/api/v1/assignments/{item['id']}", headers=ip).json()
    assert after["milestones_closed"] == 1 and after["current_milestone"]["due_date"] == "2027-06-30"


def test_a_department_sees_and_changes_only_its_own_items(client, session_factory):
    world, plan_id = _setup(session_factory)
    with session_factory() as session:
        ip_item = session.query(Assignment).filter_by(department_id=world.departments["ip"].id).first().id
        dev_item = session.query(Assignment).filter_by(department_id=world.departments["dev"].id).first().id
        sz_item = session.query(Assignment).filter_by(department_id=world.departments["sz_ip"].id).first().id
    ip, dev, admin = world.headers("ip_user"), world.headers("dev_user"), world.headers("city_admin")
    assert client.get(f"/api/v1/assignments/{ip_item}", headers=dev).status_code == 404
    assert client.get(f"/api/v1/assignments/{ip_item}/progress", headers=dev).status_code == 404
    assert client.get(f"/api/v1/assignments/{sz_item}", headers=admin).status_code == 404
    assert all(i["department_id"] == world.departments["dev"].id
               for i in client.get("/api/v1/assignments", headers=dev).json()["items"])
    assert client.post("/api/v1/assignments/ack", headers=dev, json={"ids": [ip_item]}).status_code == 404
    assert client.post("/api/v1/assignments/ack", headers=admin, json={"ids": [ip_item]}).status_code == 403
    assert client.post(f"/api/v1/assignments/{ip_item}/progress", headers=dev, json={"text": "x", "percent": 1}).status_code == 404
    assert client.post(f"/api/v1/assignments/{ip_item}/progress", headers=admin, json={"text": "x", "percent": 1}).status_code == 403
    report = client.post(f"/api/v1/assignments/{ip_item}/progress", headers=ip, json={"text": "x", "percent": 1}).json()
    assert client.post(f"/api/v1/progress/{report['id']}/review", headers=ip, json={"decision": "read"}).status_code == 403
    assert client.post(f"/api/v1/progress/{report['id']}/review", headers=dev, json={"decision": "read"}).status_code == 404
    assert client.post(f"/api/v1/progress/{report['id']}/review", headers=world.headers("other_admin"),
                       json={"decision": "read"}).status_code == 404
    assert client.post(f"/api/v1/assignments/{dev_item}/progress", headers=dev, json={"text": "配合", "percent": 10}).status_code == 201
    with session_factory() as session:
        assert session.query(Milestone).filter_by(assignment_id=ip_item, state="submitted").count() == 0


def test_the_office_sets_a_plans_reporting_cycle(client, session_factory):
    world, plan_id = _setup(session_factory)
    url = f"/api/v1/plans/{plan_id}/reporting-cycle"
    assert client.put(url, headers=world.headers("ip_user"), json={"cycle": "weekly"}).status_code == 403
    assert client.put(url, headers=world.headers("other_admin"), json={"cycle": "weekly"}).status_code == 404
    assert client.put(url, headers=world.headers("city_admin"), json={"cycle": "daily"}).status_code == 422
    refused = client.put(url, headers=world.headers("city_admin"), json={"cycle": "monthly"})
    assert refused.status_code == 422 and "报送日" in refused.json()["detail"]
    monthly = client.put(url, headers=world.headers("city_admin"), json={"cycle": "monthly", "day": 25})
    assert monthly.status_code == 200 and monthly.json() == {"plan_id": plan_id, "cycle": "monthly", "day": 25}


def test_the_work_list_follows_every_change_at_once(client, session_factory):
    """The answer is shared between identical requests until one of the reader's plans changes."""
    from sqlalchemy import update

    from service.milestones import assignments as items
    from service.milestones.models import APPROVED, Milestone
    from service.plans.models import Plan
    from tests.factories import NOW, build_world

    with session_factory() as session:
        world = build_world(session)
    headers = world.headers("ip_user")

    def only_item():
        [item] = client.get("/api/v1/assignments", headers=headers).json()["items"]
        return item

    first = only_item()
    assert first["latest_progress"] is None and first["milestones_closed"] == 0 and first["signed_at"] is None
    with session_factory() as session:
        items.submit_progress(session, world.actor(session, "ip_user"), first["id"], text="推进中", percent=40, now=NOW)
        session.commit()
    second = only_item()
    assert second["latest_progress"]["percent"] == 40 and second["signed_at"] is not None
    with session_factory() as session:
        session.execute(update(Milestone).where(Milestone.assignment_id == first["id"]).values(state=APPROVED))
        session.execute(update(Plan).where(Plan.id == first["plan_id"]).values(title="改名的计划"))
        session.commit()
    third = only_item()
    assert third["milestones_closed"] == third["milestones_total"] and third["current_milestone"] is None
    assert third["plan_title"] == "改名的计划"
    # Another reader of the same plan gets its own list, not this one.
    assert all(i["department_id"] == world.departments["dev"].id
               for i in client.get("/api/v1/assignments", headers=world.headers("dev_user")).json()["items"])
