"""The dashboard's SQL figures agree with the documented rules computed in
Python over the same milestones (status.status_light, stats.department_ranking, …)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.auth.service import actor_for_user
from service.milestones import stats, status
from service.milestones.models import ACKNOWLEDGED, APPROVED, RETURNED, SUBMITTED, Milestone
from tests.factories import NOW, build_world

TZ = ZoneInfo("Asia/Shanghai")
TODAY = NOW.astimezone(TZ).date()


def _vary(session) -> None:
    """Every light and every ranking case, including submissions around local midnight."""
    milestones = list(session.scalars(select(Milestone).order_by(Milestone.id)))
    due_dates = [TODAY - timedelta(days=40), TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=7),
                 TODAY + timedelta(days=8), TODAY + timedelta(days=90)]
    states = [APPROVED, SUBMITTED, RETURNED, ACKNOWLEDGED, "pending", APPROVED, APPROVED]
    for i, m in enumerate(milestones):
        m.due_date = due_dates[i % len(due_dates)]
        m.state = states[i // len(due_dates) % len(states)]
        if m.state in (APPROVED, SUBMITTED):
            # 15:30 or 16:30 UTC on the due date: before or after midnight in Shanghai.
            hour = 15 if i % 2 else 16
            m.submitted_at = datetime.combine(m.due_date, datetime.min.time(), timezone.utc) + timedelta(hours=hour, minutes=30)
        if m.state == APPROVED:
            m.approved_at = m.submitted_at + timedelta(days=i % 5)
    session.commit()


def _world(session_factory, session, measures: int):
    with session_factory() as builder:
        world = build_world(builder, measures=measures)
    _vary(session)
    return world


def test_dashboard_figures_follow_the_rules(session_factory, session):
    world = _world(session_factory, session, measures=8)
    actor = actor_for_user(session, world.users["city_admin"])  # reads the district's plan too
    plan_ids = [world.plans["city"], world.plans["district"]]
    figures = stats.dashboard_figures(session, actor, plan_ids, TODAY, TZ, overdue_shown=3)
    facts = [f for f in stats.milestone_facts(session, actor) if f.plan_id in plan_ids]
    assert {f.plan_id for f in facts} == set(plan_ids)
    lights = {stats.light_of(f, TODAY) for f in facts}
    assert lights == {status.GREEN, status.RED, status.YELLOW, status.GREY}

    ranking = stats.department_ranking(facts, TODAY, TZ)
    assert figures.ranking == ranking
    # Reports filed just before and just after local midnight of the due date both occur.
    assert 0 < sum(r.on_time for r in ranking) < sum(r.approved for r in ranking)
    overdue = stats.overdue_list(facts, TODAY)
    assert figures.overdue == overdue[:3] and figures.overdue_total == len(overdue) > 3
    assert figures.measure_lights == stats.lights_by(facts, TODAY, lambda f: f.measure_id)
    actual = {}
    for plan_id in plan_ids:
        own = [f for f in facts if f.plan_id == plan_id]
        plan = figures.plans[plan_id]
        assert plan.counts == stats.light_counts(own, TODAY)
        assert plan.completion == stats.plan_completion(own)[plan_id]
        assert plan.phase_lights == stats.lights_by(own, TODAY, lambda f: f.phase_id)
        start = min(f.due_date for f in own)
        assert plan.first_due == start
        series = stats.progress_series(plan.due, plan.approved, plan.completion.total, start, TODAY)
        assert series == stats.progress_over_time(own, start, TODAY, TZ)
        actual[plan_id] = series[-1].actual_percent
    assert any(actual.values())


def test_a_department_sees_only_its_own_figures(session_factory, session):
    world = _world(session_factory, session, measures=2)
    department = actor_for_user(session, world.users["ip_user"])
    figures = stats.dashboard_figures(session, department, [world.plans["city"]], TODAY, TZ)
    assert [r.department_id for r in figures.ranking] == [world.departments["ip"].id]
    assert stats.completion_by_plan(session, department)[world.plans["city"]].total == figures.ranking[0].total
