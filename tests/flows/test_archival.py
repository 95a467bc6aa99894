"""归档 / 恢复: an archived plan stays readable, leaves the lists of current work,
refuses workflow actions, and is off the reminder scan until it is restored.
(Who may archive and restore: tests/core/test_authorization.py.)"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.errors import Forbidden
from service.milestones import service as workflow
from service.milestones.models import Milestone, WorkflowEvent
from service.flows import archival
from tests.factories import NOW, milestones_of


def _audit_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def _archive(client, world, key="city", username="city_admin"):
    return client.post(f"/api/v1/plans/{world.plans[key]}/archive", headers=world.headers(username))


def test_archive_says_how_many_milestones_are_unfinished_and_is_audited(client, world, session_factory):
    with session_factory() as session:
        lead = milestones_of(session, world, "ip")[0]
        workflow.submit_report(session, world.actor(session, "ip_user"), lead.id, text="完成", percent=100, now=NOW)
        workflow.review(session, world.actor(session, "city_admin"), lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
        session.commit()
    response = _archive(client, world)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "archived" and body["unfinished_milestones"] == 1  # the support unit's
    with session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.archive")).one()
        assert (event.entity_id, event.before, event.after["status"]) == (world.plans["city"], {"status": "active"}, "archived")
        assert event.after["unfinished_milestones"] == 1


def test_archive_takes_the_milestones_off_the_scan_and_restore_puts_open_ones_back(client, world, session_factory):
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowEvent)) > 0  # 交办通知 not sent yet
    assert _archive(client, world).status_code == 200
    plan_id = world.plans["city"]
    with session_factory() as session:
        rows = session.scalars(select(Milestone).where(Milestone.plan_id == plan_id)).all()
        assert rows and all(m.next_reminder_at is None for m in rows)
        queued = session.scalar(
            select(func.count()).select_from(WorkflowEvent)
            .join(Milestone, Milestone.id == WorkflowEvent.milestone_id).where(Milestone.plan_id == plan_id)
        )
        assert queued == 0
    response = client.post(f"/api/v1/plans/{plan_id}/restore", headers=world.headers("city_admin"))
    assert response.status_code == 200 and response.json()["status"] == "active"
    with session_factory() as session:
        rows = session.scalars(select(Milestone).where(Milestone.plan_id == plan_id)).all()
        assert all(m.next_reminder_at == NOW for m in rows)


@pytest.mark.parametrize("action, first", [("archive", "archive"), ("restore", None)])
def test_wrong_state_is_a_409_that_changes_nothing(client, world, session_factory, action, first):
    if first:
        assert client.post(f"/api/v1/plans/{world.plans['city']}/{first}", headers=world.headers("city_admin")).status_code == 200
    before = _audit_count(session_factory)
    response = client.post(f"/api/v1/plans/{world.plans['city']}/{action}", headers=world.headers("city_admin"))
    assert response.status_code == 409
    expected = "只有推进中的计划可以归档" if action == "archive" else "只有已归档的计划可以恢复"
    assert expected in response.json()["detail"]
    assert _audit_count(session_factory) == before


def test_a_draft_cannot_be_archived(client, world, session_factory):
    created = client.post(
        "/api/v1/plans", json={"title": "草稿计划", "phases": [{"name": "一", "deadline": "2027-06-30"}]},
        headers=world.headers("city_admin"),
    ).json()
    response = client.post(f"/api/v1/plans/{created['id']}/archive", headers=world.headers("city_admin"))
    assert response.status_code == 409 and "草稿" in response.json()["detail"]


def _prepare(session, world, kind: str) -> tuple[str, str, dict | None]:
    """A milestone ready for one workflow action: (path to post to, user, body)."""
    lead = milestones_of(session, world, "ip")[0]
    department, admin = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    if kind in ("review", "reopen"):
        workflow.submit_report(session, department, lead.id, text="完成", percent=100, now=NOW)
    if kind == "reopen":
        workflow.review(session, admin, lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    if kind == "decide":
        request = workflow.request_extension(
            session, department, lead.id, new_due_date=date(2027, 3, 31), reason="等待批复", now=NOW
        )
        return f"/api/v1/extension-requests/{request.id}/decision", "city_admin", {"approve": True}
    return {
        "ack": (f"/api/v1/milestones/{lead.id}/ack", "ip_user", None),
        "report": (f"/api/v1/milestones/{lead.id}/reports", "ip_user", {"text": "进展", "percent": 30}),
        "extension": (
            f"/api/v1/milestones/{lead.id}/extension-requests", "ip_user",
            {"new_due_date": "2027-03-31", "reason": "等待批复"},
        ),
        "review": (f"/api/v1/milestones/{lead.id}/review", "city_admin", {"decision": "approve", "confirm_below_100": True}),
        "reopen": (f"/api/v1/milestones/{lead.id}/reopen", "city_admin", {"comment": "数据有误"}),
    }[kind]


@pytest.mark.parametrize("kind", ["ack", "report", "extension", "review", "reopen", "decide"])
def test_workflow_actions_on_an_archived_plan_are_refused(client, world, session_factory, kind):
    with session_factory() as session:
        path, username, body = _prepare(session, world, kind)
        session.commit()
    assert _archive(client, world).status_code == 200
    before = _audit_count(session_factory)
    response = client.post(path, json=body, headers=world.headers(username))
    assert response.status_code == 409, response.text
    assert response.json()["detail"].startswith("计划已归档")
    assert _audit_count(session_factory) == before


def test_an_unauthorized_user_still_gets_403_not_the_archive_409(session, world):
    archival.archive_plan(session, world.actor(session, "city_admin"), world.plans["city"], now=NOW)
    lead = milestones_of(session, world, "ip")[0]
    with pytest.raises(Forbidden):
        workflow.review(session, world.actor(session, "ip_user"), lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)


def test_archived_plan_leaves_lists_of_current_work_but_stays_readable(client, world, session_factory):
    with session_factory() as session:
        lead = milestones_of(session, world, "ip")[0]
        workflow.request_extension(
            session, world.actor(session, "ip_user"), lead.id, new_due_date=date(2027, 3, 31), reason="等", now=NOW
        )
        session.commit()
    assert _archive(client, world).status_code == 200
    ip, admin = world.headers("ip_user"), world.headers("city_admin")
    assert client.get("/api/v1/milestones", headers=ip).json()["items"] == []
    assert {m["plan_id"] for m in client.get("/api/v1/milestones", headers=admin).json()["items"]} == {world.plans["district"]}
    assert client.get("/api/v1/extension-requests", headers=admin).json() == []
    # Asked for by name, the plan's milestones and requests are all still there.
    everything = client.get("/api/v1/milestones?include_archived=true", headers=ip).json()["items"]
    assert [m["id"] for m in everything] == [lead.id]
    by_plan = client.get(f"/api/v1/milestones?plan_id={world.plans['city']}", headers=ip).json()["items"]
    assert [m["id"] for m in by_plan] == [lead.id]
    assert len(client.get("/api/v1/extension-requests?include_archived=true", headers=admin).json()) == 1
    assert client.get(f"/api/v1/milestones/{lead.id}", headers=ip).status_code == 200
    assert client.get(f"/api/v1/plans/{world.plans['city']}", headers=ip).json()["status"] == "archived"


def test_plan_list_filters_by_status(client, world):
    assert _archive(client, world).status_code == 200
    admin = world.headers("city_admin")
    archived = client.get("/api/v1/plans?status=archived", headers=admin).json()
    assert [p["id"] for p in archived] == [world.plans["city"]]
    active = client.get("/api/v1/plans?status=active", headers=admin).json()
    assert [p["id"] for p in active] == [world.plans["district"]]
    assert len(client.get("/api/v1/plans", headers=admin).json()) == 2
    assert client.get("/api/v1/plans?status=finished", headers=admin).status_code == 422


def test_restore_lets_the_work_continue(session, world):
    admin = world.actor(session, "city_admin")
    archival.archive_plan(session, admin, world.plans["city"], now=NOW)
    plan, unfinished = archival.restore_plan(session, admin, world.plans["city"], now=NOW + timedelta(days=1))
    assert (plan.status, unfinished) == ("active", 2)
    lead = milestones_of(session, world, "ip")[0]
    workflow.acknowledge(session, world.actor(session, "ip_user"), lead.id, now=NOW + timedelta(days=1))
    assert lead.state == "acknowledged"
