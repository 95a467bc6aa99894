"""HTTP: reminder policy, signed links (show on open, 签收 and reporting by post, audiences,
revocation), health, `duban tick`."""

import json
import re
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
from service.delivery.service import digest_bodies
from service.milestones.models import Milestone
from service.offices.models import Office
from service.reminders.models import MilestoneLink
from service.reminders.scan import run_scan
from tests.reminders.conftest import ACTIVATED, CALENDAR, utc

NOW = utc(2026, 9, 22, 1, 5)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(reminder_world, settings, session_factory):
    with session_factory.begin() as session:
        user = User(office_id=reminder_world["office_id"], username="admin", password_hash=hash_password("x" * 12),
                    role="admin", created_at=ACTIVATED)
        session.add(user)
        session.flush()
        token = issue_token(session, user, now=NOW, lifetime=timedelta(days=30))
    client = TestClient(create_app(settings, clock=FixedClock(NOW)))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def first_link(settings, session_factory, target="lead-key") -> str:
    with session_factory() as session:
        notification = session.scalars(select(Notification).where(Notification.target == target)).first()
        body = digest_bodies(settings, notification).text
    url = next(w for w in body.split() if "/m/" in w)
    return url.split("duban.example.cn")[1]


def test_policy_get_put_validates_and_reschedules(client, reminder_world, session_factory):
    url = f"/api/v1/plans/{reminder_world['plan_id']}/reminder-policy"
    got = client.get(url).json()
    assert got["is_default"] and [s["offset"] for s in got["policy"]["steps"]] == [-7, -3, -1, 0, 1, 3, 7]
    bad = client.put(url, json={"policy": {"steps": [{"offset": 2, "level": "purple"}]}})
    assert bad.status_code == 422 and "level" in bad.json()["detail"]
    put = client.put(url, json={"policy": {"steps": [{"offset": -2, "unit": "days"}]}, "link_reporting": True})
    assert put.status_code == 200 and not put.json()["is_default"]
    assert client.get(url).json()["link_reporting"] is True
    with session_factory() as session:
        assert session.get(Milestone, reminder_world["milestone_id"]).next_reminder_at == NOW


def csrf_of(browser: TestClient) -> str:
    """The CSRF token of the browser's cookie, as any of our pages carries it."""
    return CSRF.findall(browser.get("/login").text)[-1]


def acknowledge_events(session_factory) -> list[AuditEvent]:
    with session_factory() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == "milestone.acknowledge")).all()


def state_of(session_factory, milestone_id: int) -> str:
    with session_factory() as session:
        return session.get(Milestone, milestone_id).state


def test_opening_a_link_only_shows_and_signing_is_a_post_from_its_page(client, reminder_world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + (NOW - ACTIVATED) / 1000)
    path = first_link(settings, session_factory)  # in the message to the department's own robot
    anonymous = TestClient(client.app, base_url=settings.base_url)
    # A mail scanner or a chat's link preview opens it, more than once: nothing happens.
    for _ in range(2):
        page = anonymous.get(path)
        assert page.status_code == 200 and "建立知识产权工作联席会议制度" in page.text and "已签收" not in page.text
    assert state_of(session_factory, reminder_world["milestone_id"]) == "pending" and acknowledge_events(session_factory) == []
    assert f'action="{path}/acknowledge"' in page.text
    # A post without the page's token (a forged form) is refused.
    forged = anonymous.post(path + "/acknowledge")
    assert forged.status_code == 403 and state_of(session_factory, reminder_world["milestone_id"]) == "pending"

    done = anonymous.post(path + "/acknowledge", data={"csrf_token": csrf_of(anonymous)})
    assert done.status_code == 200 and "已签收" in done.text
    assert state_of(session_factory, reminder_world["milestone_id"]) == "acknowledged"
    [event] = acknowledge_events(session_factory)
    assert event.actor_id is None and event.actor_name == "市知识产权局（经督办链接）"
    # The link grants nothing else: no API access, no reporting unless the plan allows it.
    assert anonymous.get("/api/v1/milestones").status_code == 401
    report = anonymous.post(path + "/report", data={"text": "进展", "percent": "50", "csrf_token": csrf_of(anonymous)})
    assert report.status_code == 403
    assert anonymous.get(path[:-3] + "abc").status_code == 404
    assert client.post(f"/api/v1/plans/{reminder_world['plan_id']}/links/revoke").json()["link_version"] == 2
    revoked = anonymous.get(path)
    assert revoked.status_code == 403 and "撤销" in revoked.text


def test_links_to_the_office_leader_and_head_only_show(client, reminder_world, session_factory, settings):
    client.put(f"/api/v1/plans/{reminder_world['plan_id']}/reminder-policy", json={"link_reporting": True})
    # Weeks late: the 督办 step goes to the department, its head, the office and the leader.
    run_scan(session_factory, settings, CALENDAR, utc(2026, 11, 2, 1, 5))
    anonymous = TestClient(client.app, base_url=settings.base_url)
    for target in ("office-key", "leader-token", "head@example.cn"):
        path = first_link(settings, session_factory, target)
        page = anonymous.get(path)
        assert page.status_code == 200 and "仅供查看" in page.text and "/acknowledge" not in page.text, target
        assert 'name="text"' not in page.text
        token = csrf_of(anonymous)
        assert anonymous.post(path + "/acknowledge", data={"csrf_token": token}).status_code == 403
        report = anonymous.post(path + "/report", data={"text": "代报", "percent": "90", "csrf_token": token})
        assert report.status_code == 403
    assert state_of(session_factory, reminder_world["milestone_id"]) == "pending" and acknowledge_events(session_factory) == []
    # The same scan's messages to the department's own robot and mailbox act.
    for target in ("lead-key", "ip@example.cn"):
        assert "/acknowledge" in anonymous.get(first_link(settings, session_factory, target)).text


def test_a_logged_in_leader_cannot_act_through_a_departments_link(client, reminder_world, session_factory, settings):
    client.put(f"/api/v1/plans/{reminder_world['plan_id']}/reminder-policy", json={"link_reporting": True})
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + (NOW - ACTIVATED) / 1000)
    path = first_link(settings, session_factory)
    with session_factory.begin() as session:
        session.add(User(office_id=reminder_world["office_id"], username="leader", password_hash=hash_password("x" * 12),
                         role="leader", created_at=ACTIVATED))
    leader = TestClient(client.app, base_url=settings.base_url)
    login = leader.post("/login", data={"username": "leader", "password": "x" * 12, "csrf_token": csrf_of(leader)},
                        follow_redirects=False)
    assert login.status_code == 303
    page = leader.get(path)
    assert page.status_code == 200 and "其他账号" in page.text and "/acknowledge" not in page.text
    token = csrf_of(leader)
    assert leader.post(path + "/acknowledge", data={"csrf_token": token}).status_code == 403
    assert leader.post(path + "/report", data={"text": "代报", "percent": "90", "csrf_token": token}).status_code == 403
    assert state_of(session_factory, reminder_world["milestone_id"]) == "pending" and acknowledge_events(session_factory) == []


def test_link_reporting_when_the_plan_allows_it(client, reminder_world, session_factory, settings):
    client.put(f"/api/v1/plans/{reminder_world['plan_id']}/reminder-policy", json={"link_reporting": True})
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + (NOW - ACTIVATED) / 1000)
    path = first_link(settings, session_factory)
    anonymous = TestClient(client.app, base_url=settings.base_url)
    assert f'action="{path}/report"' in anonymous.get(path).text
    forged = anonymous.post(path + "/report", data={"text": "已召开联席会议", "percent": "60"})
    assert forged.status_code == 403
    done = anonymous.post(path + "/report", data={"text": "已召开联席会议", "percent": "60",
                                                  "csrf_token": csrf_of(anonymous)})
    assert done.status_code == 200 and "进展已报送" in done.text
    with session_factory() as session:
        milestone = session.get(Milestone, reminder_world["milestone_id"])
        assert milestone.state == "submitted" and milestone.next_reminder_at is None


def test_health_reports_database_calendar_and_backlog(client):
    body = client.get("/api/v1/health").json()
    assert body["database"] == "ok"
    assert 2027 in body["calendar"]["uncovered_years"] and body["status"] == "degraded"
    assert body["scheduler"]["events_pending"] == 2 and body["outbox"]["pending"] == 0


def test_health_shows_backlogs_only_to_an_admin_and_only_of_the_own_offices(client, reminder_world, session_factory):
    with session_factory.begin() as session:
        other = Office(name="深圳市知识产权工作领导小组办公室")
        session.add(other)
        session.flush()
        session.add_all(
            Notification(office_id=office_id, channel_type="email", target="a@x.test", kind="reminder",
                         subject="s", body_text="b", status="dead", next_attempt_at=NOW)
            for office_id in (reminder_world["office_id"], other.id, other.id)
        )
    assert client.get("/api/v1/health").json()["outbox"]["dead"] == 1
    # A probe, or anyone else: the overall status and nothing of any tenant.
    anonymous = TestClient(client.app)
    assert anonymous.get("/api/v1/health").json() == {"status": "degraded"}
    with session_factory.begin() as session:
        leader = User(office_id=reminder_world["office_id"], username="leader", password_hash="x", role="leader",
                      created_at=ACTIVATED)
        session.add(leader)
        session.flush()
        token = issue_token(session, leader, now=NOW, lifetime=timedelta(days=1))
    as_leader = anonymous.get("/api/v1/health", headers={"Authorization": f"Bearer {token}"})
    assert as_leader.json() == {"status": "degraded"}


def test_duban_tick_prints_the_scan_summary(reminder_world, settings, monkeypatch):
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


def test_revoking_one_milestones_links_leaves_the_plans_other_links_working(client, reminder_world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=1))
    lead_path, support_path = first_link(settings, session_factory), first_link(settings, session_factory, "dev@example.cn")
    anonymous = TestClient(client.app, base_url=settings.base_url)
    url = f"/api/v1/milestones/{reminder_world['milestone_id']}/links/revoke"

    revoked = client.post(url)
    assert revoked.status_code == 200 and revoked.json() == {"milestone_id": reminder_world["milestone_id"], "link_version": 2}
    refused = anonymous.get(lead_path)
    assert refused.status_code == 403 and "撤销" in refused.text
    assert anonymous.get(support_path).status_code == 200
    with session_factory() as session:
        assert session.get(Milestone, reminder_world["milestone_id"]).state == "pending"  # the leaked link did nothing
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "milestone.links_revoke")).one()
        assert (audit.before, audit.after) == ({"link_version": 1}, {"link_version": 2})

    # The next reminder carries a link signed with the new version, which works.
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 3, 1))
    with session_factory() as session:
        ack = digest_bodies(settings, session.scalars(
            select(Notification).where(Notification.target == "lead-key", Notification.kind == "reminder")
        ).one()).text
    fresh = next(w for w in ack.split() if "/m/" in w).split("duban.example.cn")[1]
    assert fresh != lead_path and anonymous.get(fresh).status_code == 200
    assert client.post(url).json()["link_version"] == 3 and anonymous.get(fresh).status_code == 403


def test_only_the_offices_admin_revokes_a_milestones_links(client, reminder_world, session_factory):
    with session_factory.begin() as session:
        department_user = User(office_id=reminder_world["office_id"], username="ip", password_hash=hash_password("x" * 12),
                               role="department", department_id=reminder_world["lead_id"], created_at=ACTIVATED)
        other_office = Office(name="深圳市知识产权工作领导小组办公室")
        session.add_all([department_user, other_office])
        session.flush()
        stranger = User(office_id=other_office.id, username="sz", password_hash=hash_password("x" * 12),
                        role="admin", created_at=ACTIVATED)
        session.add(stranger)
        session.flush()
        tokens = {user.username: issue_token(session, user, now=NOW, lifetime=timedelta(days=30)) for user in (department_user, stranger)}
    url = f"/api/v1/milestones/{reminder_world['milestone_id']}/links/revoke"
    assert client.post(url, headers={"Authorization": f"Bearer {tokens['ip']}"}).status_code == 403
    assert client.post(url, headers={"Authorization": f"Bearer {tokens['sz']}"}).status_code == 404
    assert client.post("/api/v1/milestones/999999/links/revoke").status_code == 404
    with session_factory() as session:
        assert session.scalars(select(MilestoneLink)).all() == []


def test_links_signed_before_milestone_versions_existed_still_open(client, reminder_world, settings):
    from service.link_signing import serializer

    expires = int((NOW + timedelta(days=30)).timestamp())
    old = serializer(settings).dumps({"m": reminder_world["milestone_id"], "v": 1, "e": expires})
    page = TestClient(client.app, base_url=settings.base_url).get(f"/m/{old}")
    # Who such a link was sent to is not known: it shows, and acts no more.
    assert page.status_code == 200 and "建立知识产权工作联席会议制度" in page.text and "仅供查看" in page.text
