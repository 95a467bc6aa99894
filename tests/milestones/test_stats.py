"""Dashboard figures, called directly on hand-made facts."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from service.milestones import stats, status
from service.milestones.stats import MilestoneFact
from service.milestones.status import GREEN, GREY, RED, YELLOW

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 2)


def fact(id, *, dep=1, due=date(2026, 12, 31), state="pending", submitted=None, approved=None, measure=1, phase=1):
    return MilestoneFact(id, 1, dep, measure, phase, "lead", due, state, submitted, approved)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=timezone.utc)


def test_status_light_rule():
    assert status.status_light("approved", date(2026, 1, 1), TODAY) == GREEN
    assert status.status_light("submitted", date(2026, 11, 1), TODAY) == RED
    assert status.status_light("pending", TODAY, TODAY) == YELLOW
    assert status.status_light("pending", date(2026, 11, 9), TODAY) == YELLOW
    assert status.status_light("pending", date(2026, 11, 10), TODAY) == GREY
    assert status.status_light("returned", date(2027, 6, 30), TODAY) == YELLOW
    assert status.status_light("acknowledged", date(2027, 6, 30), TODAY) == GREY


def test_worst_light_of_a_group():
    assert stats.worst_light([GREEN, GREY, RED]) == RED
    assert stats.worst_light([GREEN, GREEN]) == GREEN
    assert stats.worst_light([GREEN, YELLOW]) == YELLOW
    assert stats.worst_light([]) == GREY


def test_completion_and_overdue_list():
    facts = [
        fact(1, state="approved", approved=at(TODAY)),
        fact(2, due=date(2026, 10, 30)),
        fact(3, due=date(2026, 10, 1), state="submitted"),
        fact(4),
    ]
    assert stats.plan_completion(facts)[1].percent == 25
    overdue = stats.overdue_list(facts, TODAY)
    assert [(o.fact.id, o.days_late) for o in overdue] == [(3, 32), (2, 3)]


def test_department_ranking_on_time_rate_then_overdue():
    due = date(2026, 10, 31)
    facts = [
        # Department 1: one on time, one submitted late then approved.
        fact(1, dep=1, due=due, state="approved", submitted=at(due), approved=at(TODAY)),
        fact(2, dep=1, due=due, state="approved", submitted=at(date(2026, 11, 1)), approved=at(TODAY)),
        # Department 2: on time, plus one overdue.
        fact(3, dep=2, due=due, state="approved", submitted=at(date(2026, 10, 20)), approved=at(due)),
        fact(4, dep=2, due=due),
        # Department 3: nothing due yet.
        fact(5, dep=3),
    ]
    ranking = stats.department_ranking(facts, TODAY, TZ)
    assert [r.department_id for r in ranking] == [1, 2, 3]
    assert ranking[0].on_time_rate == 0.5 and ranking[0].overdue == 0
    assert ranking[1].on_time_rate == 0.5 and ranking[1].overdue == 1
    assert ranking[2].on_time_rate is None


def test_submitted_late_in_utc_but_on_time_in_local_time():
    # 2026-10-31 20:00 UTC is 11-01 04:00 in Shanghai: late by the local calendar.
    late = datetime(2026, 10, 31, 20, tzinfo=timezone.utc)
    facts = [fact(1, due=date(2026, 10, 31), state="approved", submitted=late, approved=late)]
    assert stats.department_ranking(facts, TODAY, TZ)[0].on_time == 0


def test_progress_over_time_planned_and_actual():
    facts = [
        fact(1, due=date(2026, 1, 31), state="approved", approved=at(date(2026, 1, 20))),
        fact(2, due=date(2026, 3, 31)),
    ]
    points = stats.progress_over_time(facts, date(2026, 1, 1), date(2026, 4, 30), TZ, points=5)
    assert points[0].day == date(2026, 1, 1) and points[-1].day == date(2026, 4, 30)
    assert (points[0].planned_percent, points[0].actual_percent) == (0, 0)
    assert (points[-1].planned_percent, points[-1].actual_percent) == (100, 50)


def test_as_of_rewinds_later_approvals():
    facts = [fact(1, state="approved", approved=at(date(2026, 11, 1)))]
    assert stats.as_of(facts, date(2026, 10, 31), TZ)[0].state == "submitted"
    assert stats.as_of(facts, date(2026, 11, 1), TZ)[0].state == "approved"


def test_milestone_facts_are_scoped_to_the_actor(session):
    from tests.factories import build_world

    world = build_world(session)
    admin = world.actor(session, "city_admin")
    department = world.actor(session, "dev_user")
    all_facts = stats.milestone_facts(session, admin)
    assert {f.plan_id for f in all_facts} == {world.plans["city"], world.plans["district"]}
    own = stats.milestone_facts(session, department)
    assert own and {f.department_id for f in own} == {world.departments["dev"].id}
    assert own[0].role == "support"
