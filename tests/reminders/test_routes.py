"""HTTP: reminder policy, signed links (签收, revocation, link reporting), health, `duban tick`."""

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from service.app import create_app
from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.passwords import hash_password
from service.auth.service import issue_token
from service.cli import app as cli
from service.clock import FixedClock
from service.delivery.models import Notification
from service.milestones.models import Milestone
from service.offices.models import Office
from service.reminders.models import MilestoneLink
from service.reminders.scan import run_scan
from tests.reminders.conftest import ACTIVATED, CALENDAR, utc

NOW = utc(2026, 9, 22, 1, 5)


@pytest.fixture
def client(world, settings, session_factory):
    with session_factory.begin() as session:
        user = User(office_id=world["office_id"], username="admin", password_hash=hash_password("x" * 12),
                    role="admin", created_at=ACTIVATED)
        session.add(user)
        session.flush()
        token = issue_token(session, user, now=NOW, lifetime=timedelta(days=30))
    client = TestClient(create_app(settings, clock=FixedClock(NOW)))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def first_link(session_factory, target="lead-key") -> str:
    with session_factory() as session:
        body = session.scalars(select(Notification.body_text).where(Notification.target == target)).first()
    url = next(w for w in body.split() if "/m/" in w)
    return url.split("duban.example.cn")[1]


def test_policy_get_put_validates_and_reschedules(client, world, session_factory):
    url = f"/api/v1/plans/{world['plan_id']}/reminder-policy"
    got = client.get(url).json()
    assert got["is_default"] and [s["offset"] for s in got["policy"]["steps"]] == [-7, -3, -1, 0, 1, 3, 7]
    bad = client.put(url, json={"policy": {"steps": [{"offset": 2, "level": "purple"}]}})
    assert bad.status_code == 422 and "level" in bad.json()["detail"]
    put = client.put(url, json={"policy": {"steps": [{"offset": -2, "unit": "days"}]}, "link_reporting": True})
    assert put.status_code == 200 and not put.json()["is_default"]
    assert client.get(url).json()["link_reporting"] is True
    with session_factory() as session:
        assert session.get(Milestone, world["milestone_id"]).next_reminder_at == NOW


def test_link_acknowledges_shows_and_can_be_revoked(client, world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + (NOW - ACTIVATED) / 1000)
    path = first_link(session_factory)
    anonymous = TestClient(client.app)
    page = anonymous.get(path)
    assert page.status_code == 200 and "已签收" in page.text and "建立知识产权工作联席会议制度" in page.text
    with session_factory() as session:
        assert session.get(Milestone, world["milestone_id"]).state == "acknowledged"
    # The link grants nothing else: no API access, no reporting unless the plan allows it.
    assert anonymous.get("/api/v1/milestones").status_code == 401
    assert anonymous.post(path + "/report", data={"text": "进展", "percent": "50"}).status_code == 403
    assert anonymous.get(path[:-3] + "abc").status_code == 404
    assert client.post(f"/api/v1/plans/{world['plan_id']}/links/revoke").json()["link_version"] == 2
    revoked = anonymous.get(path)
    assert revoked.status_code == 403 and "撤销" in revoked.text


def test_link_reporting_when_the_plan_allows_it(client, world, session_factory, settings):
    client.put(f"/api/v1/plans/{world['plan_id']}/reminder-policy", json={"link_reporting": True})
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + (NOW - ACTIVATED) / 1000)
    path = first_link(session_factory)
    anonymous = TestClient(client.app)
    assert 'action="/m/' in anonymous.get(path).text
    done = anonymous.post(path + "/report", data={"text": "已召开联席会议", "percent": "60"})
    assert done.status_code == 200 and "进展已报送" in done.text
    with session_factory() as session:
        milestone = session.get(Milestone, world["milestone_id"])
        assert milestone.state == "submitted" and milestone.next_reminder_at is None


def test_health_reports_database_calendar_and_backlog(client):
    body = client.get("/api/v1/health").json()
    assert body["database"] == "ok"
    assert 2027 in body["calendar"]["uncovered_years"] and body["status"] == "degraded"
    assert body["scheduler"]["events_pending"] == 2 and body["outbox"]["pending"] == 0


def test_duban_tick_prints_the_scan_summary(world, settings, monkeypatch):
    monkeypatch.setenv("DUBAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret")
    from service.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["tick", "--now", "2026-09-22T09:05:00+08:00"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output.strip().splitlines()[-1])
        assert summary["now"] == "2026-09-22T01:05:00+00:00" and summary["events"] == 2
        assert summary["reminders"] > 0
        bad = CliRunner().invoke(cli, ["tick", "--now", "yesterday"])
        assert bad.exit_code == 2
    finally:
        get_settings.cache_clear()


def test_revoking_one_milestones_links_leaves_the_plans_other_links_working(client, world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=1))
    lead_path, support_path = first_link(session_factory), first_link(session_factory, "dev@example.cn")
    anonymous = TestClient(client.app)
    url = f"/api/v1/milestones/{world['milestone_id']}/links/revoke"

    revoked = client.post(url)
    assert revoked.status_code == 200 and revoked.json() == {"milestone_id": world["milestone_id"], "link_version": 2}
    refused = anonymous.get(lead_path)
    assert refused.status_code == 403 and "撤销" in refused.text
    assert anonymous.get(support_path).status_code == 200
    with session_factory() as session:
        assert session.get(Milestone, world["milestone_id"]).state == "pending"  # the leaked link did nothing
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "milestone.links_revoke")).one()
        assert (audit.before, audit.after) == ({"link_version": 1}, {"link_version": 2})

    # The next reminder carries a link signed with the new version, which works.
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 1))
    with session_factory() as session:
        ack = session.scalars(
            select(Notification.body_text).where(Notification.target == "lead-key", Notification.kind == "reminder")
        ).one()
    fresh = next(w for w in ack.split() if "/m/" in w).split("duban.example.cn")[1]
    assert fresh != lead_path and anonymous.get(fresh).status_code == 200
    assert client.post(url).json()["link_version"] == 3 and anonymous.get(fresh).status_code == 403


def test_only_the_offices_admin_revokes_a_milestones_links(client, world, session_factory):
    with session_factory.begin() as session:
        department_user = User(office_id=world["office_id"], username="ip", password_hash=hash_password("x" * 12),
                               role="department", department_id=world["lead_id"], created_at=ACTIVATED)
        other_office = Office(name="深圳市知识产权工作领导小组办公室")
        session.add_all([department_user, other_office])
        session.flush()
        stranger = User(office_id=other_office.id, username="sz", password_hash=hash_password("x" * 12),
                        role="admin", created_at=ACTIVATED)
        session.add(stranger)
        session.flush()
        tokens = {user.username: issue_token(session, user, now=NOW, lifetime=timedelta(days=30)) for user in (department_user, stranger)}
    url = f"/api/v1/milestones/{world['milestone_id']}/links/revoke"
    assert client.post(url, headers={"Authorization": f"Bearer {tokens['ip']}"}).status_code == 403
    assert client.post(url, headers={"Authorization": f"Bearer {tokens['sz']}"}).status_code == 404
    assert client.post("/api/v1/milestones/999999/links/revoke").status_code == 404
    with session_factory() as session:
        assert session.scalars(select(MilestoneLink)).all() == []


def test_links_signed_before_milestone_versions_existed_still_open(client, world, settings):
    from service.reminders.links import _serializer

    expires = int((NOW + timedelta(days=30)).timestamp())
    old = _serializer(settings).dumps({"m": world["milestone_id"], "v": 1, "e": expires})
    page = TestClient(client.app).get(f"/m/{old}")
    assert page.status_code == 200 and "已签收" in page.text
