"""节假日安排: precedence of the sources, replacing and clearing a year, what
is refused (and changes nothing), who may change it, re-timed milestones, and
a second process picking a change up after its check interval."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from service.app import create_app
from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.clock import FixedClock
from service.config import Settings
from service.errors import Forbidden, Invalid
from service.flows.calendar import replace_year
from service.holidays import service
from service.holidays.source import CHECK_INTERVAL, CalendarSource, build_calendar
from service.milestones.models import APPROVED, Milestone
from service.offices.service import ensure_default_office
from service.workdays import parse_days
from tests.factories import NOW, add_operator

NEW_YEAR_2027 = "2027-01-01,holiday,元旦\n2027-01-04,holiday,元旦补假\n2027-01-09,workday,元旦调休\n"


def audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def entered(session_factory, year: int = 2027) -> list[tuple[str, str, str]]:
    with session_factory() as session:
        return [(d.day.isoformat(), d.kind, d.name) for d in service.entered_days(session, year)]


def replace(session_factory, actor: Actor, year: int, text: str, now=NOW) -> service.Replaced:
    with session_factory.begin() as session:
        return replace_year(session, actor, year, service.entries_from_text(text, year), now=now)


@pytest.fixture
def system(session_factory) -> Actor:
    """The command line of a fresh deployment, acting as its operator."""
    with session_factory.begin() as session:
        return Actor.deployment(ensure_default_office(session).id)


@pytest.fixture
def operator(session_factory, world) -> Actor:
    """The deployment's operator, an account filed under the city office."""
    with session_factory() as session:
        add_operator(session, world)
        return world.actor(session, "operator")


@pytest.fixture
def holidays_file(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text(
        "date,kind,name\n"
        "# local changes over the package\n"
        "2026-10-07,workday,文件调休\n"
        "2026-10-10,holiday,文件放假\n"
        "2026-11-20,holiday,本地假日\n",
        encoding="utf-8",
    )
    return str(path)


def test_database_over_file_over_package_over_weekends(session_factory, system, database_url, holidays_file):
    settings = Settings(database_url=database_url, holidays_file=holidays_file)
    replace(session_factory, system, 2026, "2026-10-10,workday,录入调休")
    calendar = CalendarSource(session_factory, settings).current(NOW)
    assert calendar.is_workday(date(2026, 10, 10))  # database: workday, over the file's holiday
    assert calendar.is_workday(date(2026, 10, 7))  # file: workday, over the package's National Day
    assert not calendar.is_workday(date(2026, 11, 20))  # file only: a local day off on a Friday
    assert not calendar.is_workday(date(2026, 10, 6))  # package only
    assert calendar.is_workday(date(2030, 1, 1)) and not calendar.is_workday(date(2030, 1, 5))  # weekends only
    assert calendar.covers(2026) and not calendar.covers(2027)
    with session_factory() as session:
        schedule = service.year_schedule(session, 2026, parse_days(open(holidays_file, encoding="utf-8").read()))
    by_day = {d.day: (d.kind, d.name, d.source) for d in schedule.days}
    assert by_day[date(2026, 10, 10)] == ("workday", "录入调休", "database")
    assert by_day[date(2026, 10, 7)] == ("workday", "文件调休", "file")
    assert by_day[date(2026, 10, 6)] == ("holiday", "国庆节", "package")
    assert by_day[date(2026, 2, 14)] == ("workday", "春节", "package")
    assert schedule.covered and [d.day for d in schedule.days] == sorted(by_day)


def test_a_year_counts_as_covered_with_one_entered_day(session_factory, system):
    with session_factory() as session:
        assert not service.year_schedule(session, 2027, []).covered
        assert build_calendar(session, []).covers(2026) and not build_calendar(session, []).covers(2027)
    replace(session_factory, system, 2027, "2027-10-01,holiday,国庆节")
    with session_factory() as session:
        assert service.year_schedule(session, 2027, []).covered and build_calendar(session, []).covers(2027)


def test_replace_a_year_then_clear_it(session_factory, world, operator):
    admin_id = world.users["operator"].id
    with session_factory() as session:
        admin = world.actor(session, "operator")
    first = replace(session_factory, admin, 2027, NEW_YEAR_2027)
    assert (first.days, first.changed) == (3, 3)
    assert entered(session_factory) == [
        ("2027-01-01", "holiday", "元旦"), ("2027-01-04", "holiday", "元旦补假"), ("2027-01-09", "workday", "元旦调休"),
    ]
    later = NOW + timedelta(hours=1)
    second = replace(session_factory, admin, 2027, "2027-01-01,holiday,元旦\n2027-01-09,holiday,改为放假\n", now=later)
    assert (second.days, second.changed) == (2, 2)
    with session_factory() as session:
        rows = {d.day: d for d in service.entered_days(session, 2027)}
        assert rows[date(2027, 1, 1)].updated_at == NOW  # unchanged days keep who entered them when
        assert rows[date(2027, 1, 9)].updated_at == later and rows[date(2027, 1, 9)].updated_by == admin_id
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "calendar_year")).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [("calendar.replace_year", 2027, admin_id)] * 2
    assert events[1].before["days"][1] == ["2027-01-04", "holiday", "元旦补假"]
    assert events[1].after["days"] == [["2027-01-01", "holiday", "元旦"], ["2027-01-09", "holiday", "改为放假"]]

    same = replace(session_factory, admin, 2027, "2027-01-09,holiday,改为放假\n2027-01-01,holiday,元旦")
    assert same.changed == 0
    cleared = replace(session_factory, admin, 2027, "")
    assert (cleared.days, cleared.changed) == (0, 2) and entered(session_factory) == []
    with session_factory() as session:  # the save that changed nothing left no trace
        assert session.scalar(select(func.count()).where(AuditEvent.entity_type == "calendar_year")) == 3


def test_other_years_are_left_alone(session_factory, system):
    replace(session_factory, system, 2027, NEW_YEAR_2027)
    replace(session_factory, system, 2028, "2028-01-01,holiday,元旦")
    replace(session_factory, system, 2027, "")
    assert entered(session_factory, 2028) == [("2028-01-01", "holiday", "元旦")]


@pytest.mark.parametrize("text, message", [
    ("2027-13-01,holiday,元旦", "第1行：'2027-13-01' 不是 YYYY-MM-DD 格式的日期"),
    ("2027-01-01,holiday,元旦\n\n2028-01-01,holiday,元旦", "第3行：2028-01-01 不在 2027 年内"),
    ("2027-01-01,day-off,元旦", "第1行：类型须为 放假 或 上班"),
    ("2027-01-01,holiday,元旦\n2027-01-01,workday,调休", "第2行：2027-01-01 与第1行重复"),
    ("2027-01-01,holiday," + "长" * 51, "第1行：名称不能超过 50 个字"),
    ("- date: 2027-01-01\n  kind: holiday\n- date: 2027-02-30\n  kind: holiday", "第2项：'2027-02-30' 不是"),
])
def test_a_bad_schedule_is_refused_and_changes_nothing(session_factory, system, text, message):
    replace(session_factory, system, 2027, NEW_YEAR_2027)
    before = entered(session_factory)
    with session_factory() as session:
        events = audit_count(session)
    with pytest.raises(Invalid) as refused:
        replace(session_factory, system, 2027, text)
    assert message in refused.value.message
    assert entered(session_factory) == before
    with session_factory() as session:
        assert audit_count(session) == events


def test_yaml_and_make_up_weekends_are_accepted(session_factory, system):
    text = "- date: 2027-02-06\n  kind: holiday\n  name: 春节\n- date: 2027-02-14\n  kind: workday\n  name: 春节调休\n"
    replace(session_factory, system, 2027, text)
    # 02-14 is a Sunday marked workday (调休), 02-06 a Saturday marked holiday: both fine.
    assert entered(session_factory) == [("2027-02-06", "holiday", "春节"), ("2027-02-14", "workday", "春节调休")]


@pytest.mark.parametrize("username, allowed", [
    ("operator", True),
    # No office's admin, top-level or not: the schedule is every office's workdays.
    ("city_admin", False),
    ("other_admin", False),
    ("district_admin", False),
    ("city_leader", False),
    ("ip_user", False),
])
def test_only_the_operator_changes_the_schedule(session_factory, world, operator, username, allowed):
    with session_factory() as session:
        actor = world.actor(session, username)
        events = audit_count(session)
        assert service.may_edit(actor) is allowed
    if allowed:
        replace(session_factory, actor, 2027, NEW_YEAR_2027)
        assert len(entered(session_factory)) == 3
        return
    with pytest.raises(Forbidden):
        replace(session_factory, actor, 2027, NEW_YEAR_2027)
    assert entered(session_factory) == []
    with session_factory() as session:
        assert audit_count(session) == events


def test_open_milestones_near_the_changed_days_are_retimed(session_factory, system, world):
    far = NOW + timedelta(days=300)
    with session_factory.begin() as session:
        ids = session.scalars(select(Milestone.id).order_by(Milestone.id)).all()
        near_due, far_due, closed, repeating = ids[:4]
        session.execute(update(Milestone).values(next_reminder_at=far))
        session.execute(update(Milestone).where(Milestone.id == near_due).values(due_date=date(2027, 2, 26)))
        session.execute(update(Milestone).where(Milestone.id.in_([far_due, repeating])).values(due_date=date(2027, 9, 1)))
        session.execute(update(Milestone).where(Milestone.id == closed).values(state=APPROVED, next_reminder_at=None))
        # Long overdue in the test's story, escalating every few workdays: its next time is near the change.
        session.execute(update(Milestone).where(Milestone.id == repeating).values(
            due_date=date(2026, 6, 1), next_reminder_at=NOW + timedelta(days=40)))
    changed_at = NOW + timedelta(minutes=5)
    result = replace(session_factory, system, 2027, "2027-01-01,holiday,元旦", now=changed_at)
    with session_factory() as session:
        times = dict(session.execute(select(Milestone.id, Milestone.next_reminder_at)).all())
    assert times[near_due] == changed_at and times[repeating] == changed_at
    assert times[far_due] == far and times[closed] is None
    assert result.retimed == 2


def test_a_renamed_day_retimes_nothing(session_factory, system, world):
    replace(session_factory, system, 2027, "2027-01-01,holiday,元旦")
    assert replace(session_factory, system, 2027, "2027-01-01,holiday,元旦节").retimed == 0


def test_a_second_process_picks_the_change_up_after_its_check_interval(session_factory, system, database_url):
    settings = Settings(database_url=database_url)
    mine, other = CalendarSource(session_factory, settings), CalendarSource(session_factory, settings)
    monday = date(2027, 1, 4)
    assert mine.current(NOW).is_workday(monday) and other.current(NOW).is_workday(monday)
    replace(session_factory, system, 2027, "2027-01-04,holiday,元旦补假")
    mine.changed()
    assert not mine.current(NOW).is_workday(monday)  # the process that made the change: at once
    assert other.current(NOW + CHECK_INTERVAL - timedelta(seconds=1)).is_workday(monday)  # not yet looked
    kept = other.current(NOW + CHECK_INTERVAL)
    assert not kept.is_workday(monday)
    # Unchanged since: the same calendar (and its memoized days) is kept.
    assert other.current(NOW + 2 * CHECK_INTERVAL) is kept


def test_two_apps_on_one_database(session_factory, database_url, world, operator):
    """App A saves through the API; app B's requests and scans count with the new day once its minute is up."""
    clock_a, clock_b = FixedClock(NOW), FixedClock(NOW)
    app_a = create_app(Settings(database_url=database_url), clock=clock_a)
    app_b = create_app(Settings(database_url=database_url), clock=clock_b)
    monday = date(2027, 1, 4)

    def health_years(client):
        return client.get("/api/v1/health", headers=world.headers("city_admin")).json()["calendar"]["uncovered_years"]

    with TestClient(app_a) as a, TestClient(app_b) as b:
        assert health_years(a) == [2027] and health_years(b) == [2027]
        response = a.put("/api/v1/calendar/years/2027", headers=world.headers("operator"),
                         json={"days": [{"date": "2027-01-04", "kind": "holiday", "name": "元旦补假"}]})
        assert response.status_code == 200, response.text
        assert health_years(a) == []  # the app that saved: at once
        assert health_years(b) == [2027]
        clock_b.instant = NOW + CHECK_INTERVAL
        assert health_years(b) == []
        assert not app_b.state.calendar_source.current(clock_b.now()).is_workday(monday)


def test_every_office_sees_the_operators_change_in_its_audit_log(session_factory, world, operator, client):
    replace(session_factory, operator, 2027, NEW_YEAR_2027)
    for username in ("city_admin", "district_admin", "other_admin", "city_leader", "operator"):
        events = client.get("/api/v1/audit", headers=world.headers(username)).json()
        changes = [e for e in events if e["action"] == "calendar.replace_year"]
        assert [(c["entity_id"], c["actor_name"]) for c in changes] == [(2027, "operator")], username
    # One event, not one per office: the parent office does not see it once per child.
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "calendar.replace_year")) == 1


def test_an_office_admin_can_neither_see_nor_take_over_the_operator(session_factory, world, operator, client):
    from service.auth.service import list_users, reset_password, set_user_active
    from service.errors import NotFound

    operator_id = world.users["operator"].id
    with session_factory() as session:
        admin = world.actor(session, "city_admin")
        assert "operator" not in [u.username for u in list_users(session, admin)]
        with pytest.raises(NotFound):
            reset_password(session, admin, operator_id, "taken-over-42", now=NOW)
        with pytest.raises(NotFound):
            set_user_active(session, admin, operator_id, False, now=NOW)
    made = client.post("/api/v1/users", headers=world.headers("city_admin"),
                       json={"username": "op2", "password": "long-enough-1", "role": "operator"})
    assert made.status_code == 403
