"""Manual 催办: sent now to the level's audiences, once per item per day, and counted by the scan."""

from datetime import timedelta

from sqlalchemy import select

from service.audit.models import AuditEvent
from service.config import Settings
from service.delivery.models import Notification
from service.flows.chase import chase_items
from service.milestones.models import Milestone
from service.plans.models import Assignment
from service.reminders.scan import scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world
from tests.milestones.test_assignments import phased_plan


def _setup(session_factory):
    with session_factory() as session:
        world = build_world(session)
        world.departments["ip"].head_email = "head@example.cn"
        plan_id = phased_plan(session, world)
        session.commit()
        items = [a.id for a in session.scalars(
            select(Assignment).where(Assignment.department_id == world.departments["ip"].id).order_by(Assignment.id)
        )]
    return world, plan_id, items


def _sent(session_factory, since_id=0):
    with session_factory() as session:
        return [(n.target, n.kind, n.level) for n in session.scalars(
            select(Notification).where(Notification.id > since_id).order_by(Notification.id))]


def _last_id(session_factory):
    with session_factory() as session:
        return session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0


def test_an_item_is_chased_now_once_a_day_with_the_levels_audiences(client, session_factory):
    world, plan_id, items = _setup(session_factory)
    admin = world.headers("city_admin")
    before = _last_id(session_factory)
    chased = client.post(f"/api/v1/assignments/{items[1]}/chase", headers=admin, json={"level": "urge"})
    assert chased.status_code == 200, chased.text
    assert chased.json() == {"chased": 1, "skipped": 0}
    # 催办 reaches the unit's contacts and its head, at the yellow level.
    assert sorted(_sent(session_factory, before)) == [
        ("head@example.cn", "reminder", "yellow"), ("ip@example.cn", "reminder", "yellow")]
    again = client.post(f"/api/v1/assignments/{items[1]}/chase", headers=admin, json={"level": "supervise"})
    assert again.status_code == 429 and "每天只催办一次" in again.json()["detail"]
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.chase")).all()
        assert [(e.entity_id, e.after["level"]) for e in events] == [(items[1], "催办")]


def test_only_the_owning_office_admin_chases(client, session_factory):
    world, plan_id, items = _setup(session_factory)
    body = {"level": "remind"}
    assert client.post(f"/api/v1/assignments/{items[1]}/chase", headers=world.headers("ip_user"), json=body).status_code == 403
    assert client.post(f"/api/v1/assignments/{items[1]}/chase", headers=world.headers("dev_user"), json=body).status_code == 404
    assert client.post(f"/api/v1/assignments/{items[1]}/chase", headers=world.headers("city_leader"), json=body).status_code == 403
    assert client.post(f"/api/v1/assignments/{items[1]}/chase", headers=world.headers("other_admin"), json=body).status_code == 404
    ip = world.departments["ip"].id
    assert client.post(f"/api/v1/departments/{ip}/chase", headers=world.headers("ip_user"), json=body).status_code == 403
    assert client.post(f"/api/v1/departments/{ip}/chase", headers=world.headers("other_admin"), json=body).status_code == 404
    assert client.post(f"/api/v1/assignments/{items[1]}/chase", headers=world.headers("city_admin"),
                       json={"level": "shout"}).status_code == 422
    selected = {"ids": items[1:3], "level": "remind"}
    assert client.post("/api/v1/assignments/chase", headers=world.headers("ip_user"), json=selected).status_code == 403
    assert client.post("/api/v1/assignments/chase", headers=world.headers("dev_user"), json=selected).status_code == 404
    assert client.post("/api/v1/assignments/chase", headers=world.headers("other_admin"), json=selected).status_code == 404


def test_a_whole_unit_is_chased_skipping_what_was_chased_today(client, session_factory):
    world, plan_id, items = _setup(session_factory)
    admin = world.headers("city_admin")
    assert client.post(f"/api/v1/assignments/chase", headers=admin, json={"ids": items[:2], "level": "remind"}).json() == {
        "chased": 2, "skipped": 0}
    before = _last_id(session_factory)
    unit = client.post(f"/api/v1/departments/{world.departments['ip'].id}/chase", headers=admin, json={"level": "remind"})
    # The world's own plan's item and the phased plan's four: two were chased already.
    assert unit.json() == {"chased": 2, "skipped": 2}
    # One digest per recipient: the unit hears of both items in one message.
    assert _sent(session_factory, before) == [("ip@example.cn", "reminder", "blue")]
    again = client.post(f"/api/v1/departments/{world.departments['ip'].id}/chase", headers=admin, json={"level": "remind"})
    assert again.status_code == 429


def test_the_scan_sends_no_ladder_reminder_the_day_an_item_was_chased(session_factory):
    world, plan_id, items = _setup(session_factory)
    settings = Settings(database_url="sqlite://", secret_key="x")
    thursday, friday = NOW + timedelta(days=3), NOW + timedelta(days=4)  # T-1 and T0 of the first checkpoints

    def reminded_by_scan(at):
        before = _last_id(session_factory)
        with session_factory() as session:
            scan(session, settings, WorkdayCalendar(), at)
            session.commit()
            notices = session.scalars(
                select(Notification).where(Notification.id > before, Notification.kind == "reminder")).all()
            return {i["milestone_id"] for n in notices for i in n.event["items"]}

    with session_factory() as session:
        current = {a: session.scalar(select(Milestone.id).where(Milestone.assignment_id == a).order_by(Milestone.due_date))
                   for a in items}
        chase_items(session, settings, world.actor(session, "city_admin"), [items[1]], level="remind", now=thursday)
        session.commit()
    assert current[items[2]] in reminded_by_scan(thursday)
    assert current[items[1]] not in reminded_by_scan(thursday)
    # The next day's step goes out as usual.
    assert current[items[1]] in reminded_by_scan(friday)
