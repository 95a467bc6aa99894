"""Time travel over an archived plan: the scan neither reads nor sends anything
for it, and after a restore it resumes with the one step now due, not a flood."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.delivery.models import Notification
from service.milestones.models import Milestone
from service.flows.archival import archive_plan, restore_plan
from service.reminders.models import SentReminder
from service.reminders.scan import run_scan
from tests.reminders.conftest import ACTIVATED, CALENDAR, utc
from tests.reminders.test_routes import CSRF, client, first_link  # noqa: F401 (the admin's API client fixture)
from tests.reminders.test_scan import ledger, robot_channel


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_nothing_is_sent_while_archived_and_reminders_resume_after_restore(reminder_world, session_factory, settings):
    # Archived before the first scan: even the queued 交办通知 are not sent.
    with session_factory.begin() as session:
        archive_plan(session, reminder_world["actor"], reminder_world["plan_id"], now=ACTIVATED + timedelta(seconds=30))
    # Every send hour from activation to well past the due date (2026-10-09).
    for day in range(50):
        summary = run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 1, 1, 5) + timedelta(days=day))
        assert summary["milestones"] == 0 and summary["events"] == 0
    assert _count(session_factory, Notification) == 0
    assert _count(session_factory, SentReminder) == 0

    restored_at = utc(2026, 10, 20, 2)
    with session_factory.begin() as session:
        restore_plan(session, reminder_world["actor"], reminder_world["plan_id"], now=restored_at)
    summary = run_scan(session_factory, settings, CALENDAR, restored_at + timedelta(minutes=1))
    assert summary["milestones"] == 2 and summary["reminders"] > 0
    # Only the most severe step now due (T+7, 督办), not the ack, T-7 … T+3 missed meanwhile.
    robot = robot_channel(session_factory, "lead-key")
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T+7"]
    # And then the ladder goes on as usual.
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 26, 1, 5))
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T+7", "T+12"]


def test_archiving_midway_stops_the_ladder(reminder_world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 22, 1, 5))  # assignment notices and T-7
    robot = robot_channel(session_factory, "lead-key")
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T-7"]
    sent = _count(session_factory, Notification)
    with session_factory.begin() as session:
        archive_plan(session, reminder_world["actor"], reminder_world["plan_id"], now=utc(2026, 9, 23, 2))
    for day in range(30):
        run_scan(session_factory, settings, CALENDAR, utc(2026, 9, 24, 1, 5) + timedelta(days=day))
    assert _count(session_factory, Notification) == sent
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T-7"]


def test_a_link_sent_before_archiving_still_shows_the_milestone_but_acknowledges_nothing(
    client, reminder_world, session_factory, settings
):
    client.put(f"/api/v1/plans/{reminder_world['plan_id']}/reminder-policy", json={"link_reporting": True})
    run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=1))
    path = first_link(settings, session_factory)
    assert client.post(f"/api/v1/plans/{reminder_world['plan_id']}/archive").status_code == 200
    anonymous = TestClient(client.app, base_url=settings.base_url)
    page = anonymous.get(path)
    assert page.status_code == 200 and "建立知识产权工作联席会议制度" in page.text
    assert "本计划已归档" in page.text and 'name="text"' not in page.text  # no report form to fill in vain
    token = CSRF.findall(anonymous.get("/login").text)[-1]
    refused = anonymous.post(path + "/report", data={"text": "进展", "percent": "50", "csrf_token": token})
    assert refused.status_code == 409 and "计划已归档" in refused.text
    with session_factory() as session:
        assert session.get(Milestone, reminder_world["milestone_id"]).state == "pending"
