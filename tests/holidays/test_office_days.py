"""An office's own days off count for it and its child offices only: its
admin changes no other office's workdays, the due dates and reminders of its
(and its children's) milestones move, and the change is in their audit logs."""

from datetime import date, timedelta

from sqlalchemy import select

from service.audit.service import record
from service.auth.actor import Actor
from service.holidays.service import calendar_version
from service.milestones.models import Milestone
from service.plans.models import Plan
from service.reminders.scan import scan
from tests.factories import NOW

LOCAL_DAY = {"days": [{"date": "2026-12-30", "kind": "holiday", "name": "本地放假"}]}


def _next_reminders(session_factory) -> dict[int, object]:
    """The lead milestone's (the plan's latest) next reminder per plan."""
    with session_factory() as session:
        rows = session.execute(
            select(Plan.id, Milestone.due_date, Milestone.next_reminder_at).join(Plan, Plan.id == Milestone.plan_id)
            .order_by(Milestone.due_date)
        ).all()
    return {plan_id: next_at for plan_id, _, next_at in rows}


def _scan(app, session_factory, now):
    with session_factory() as session:
        scan(session, app.state.settings, app.state.calendar_source.offices(now), now)
        session.commit()


def test_a_local_day_off_moves_only_its_office_and_children(app, client, session_factory, world):
    now = NOW + timedelta(minutes=1)
    _scan(app, session_factory, now)
    before = _next_reminders(session_factory)

    day_off = {"days": [{"date": "2026-11-03", "kind": "holiday", "name": "本地放假"}]}  # a Tuesday
    answer = client.put("/api/v1/calendar/office/years/2026", json=day_off, headers=world.headers("city_admin"))
    assert answer.status_code == 200, answer.text
    assert [d["date"] for d in answer.json()["days"]] == ["2026-11-03"]
    source, tuesday = app.state.calendar_source, date(2026, 11, 3)
    city, district, other = (world.offices[k].id for k in ("city", "district", "other"))
    assert not source.for_office(city, now).is_workday(tuesday)
    assert not source.for_office(district, now).is_workday(tuesday)  # a child office
    assert source.for_office(other, now).is_workday(tuesday)
    assert source.current(now).is_workday(tuesday)  # the national schedule is untouched

    _scan(app, session_factory, now + timedelta(minutes=1))
    after = _next_reminders(session_factory)
    plans = world.plans
    # The not-yet-signed reminder, a number of workdays after the handoff, comes a day later.
    for key in ("city", "district"):
        assert after[plans[key]] == before[plans[key]] + timedelta(days=1), key
    assert after[plans["other"]] == before[plans["other"]]


def test_a_child_offices_own_day_does_not_reach_its_parent(app, client, world):
    answer = client.put("/api/v1/calendar/office/years/2026", json=LOCAL_DAY, headers=world.headers("district_admin"))
    assert answer.status_code == 200
    source, now = app.state.calendar_source, NOW
    assert not source.for_office(world.offices["district"].id, now).is_workday(date(2026, 12, 30))
    assert source.for_office(world.offices["city"].id, now).is_workday(date(2026, 12, 30))


def test_only_an_admin_changes_the_offices_days(client, world):
    for user in ("city_leader", "ip_user"):
        answer = client.put("/api/v1/calendar/office/years/2026", json=LOCAL_DAY, headers=world.headers(user))
        assert answer.status_code == 403, user
    # Each admin reads (and writes) its own office's days only.
    client.put("/api/v1/calendar/office/years/2026", json=LOCAL_DAY, headers=world.headers("city_admin"))
    assert client.get("/api/v1/calendar/office/years/2026", headers=world.headers("other_admin")).json()["days"] == []


def test_the_change_is_in_the_logs_of_the_office_and_its_children_only(client, world):
    client.put("/api/v1/calendar/office/years/2026", json=LOCAL_DAY, headers=world.headers("city_admin"))

    def changes(user):
        events = client.get("/api/v1/audit", headers=world.headers(user)).json()
        return [(e["action"], e["actor_name"]) for e in events if e["entity_type"] == "office_calendar"]

    assert changes("city_admin") == [("calendar.replace_office_year", "city_admin")]
    assert changes("district_admin") == [("calendar.replace_office_year", "city_admin")]
    assert changes("other_admin") == []


def test_the_calendars_version_is_its_own_counter_not_the_audit_log(client, session_factory, world):
    """Other processes reload their calendars when the version moves: it moves with a
    change of local days and with nothing else written to the audit log."""
    with session_factory() as session:
        start = calendar_version(session)
        record(session, Actor.system(world.offices["city"].id), "calendar.replace_office_year", "office_calendar",
               2026, now=NOW)
        session.commit()
        assert calendar_version(session) == start
    answer = client.put("/api/v1/calendar/office/years/2026", json=LOCAL_DAY, headers=world.headers("city_admin"))
    assert answer.status_code == 200
    with session_factory() as session:
        assert calendar_version(session) != start
