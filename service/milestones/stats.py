"""Progress figures for the dashboard, the plan view and the bulletin (督办通报).

One plan's figures (plan page, bulletin) work on `MilestoneFact` rows (a few
columns per milestone, no ORM objects), so one query feeds every figure and the
functions stay pure. The dashboard covers every active plan of an office (and
its districts), so `dashboard_figures` computes the same figures with grouped
SQL queries instead, by the same rules.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.database import local_date
from service.milestones.models import APPROVED, SUBMITTED, Milestone
from service.milestones.service import visible_milestones
from service.milestones.status import (
    GREEN,
    GREY,
    LIGHT_SEVERITY,
    RED,
    is_overdue,
    light_severity_sql,
    overdue_sql,
    status_light,
)
from service.plans.models import Assignment



@dataclass(frozen=True)
class MilestoneFact:
    id: int
    plan_id: int
    department_id: int
    measure_id: int
    phase_id: int | None
    role: str
    due_date: date
    state: str
    submitted_at: datetime | None
    approved_at: datetime | None


def milestone_facts(
    session: Session, actor: Actor, *, plan_id: int | None = None, department_id: int | None = None
) -> list[MilestoneFact]:
    """The facts of every milestone the actor may read, optionally for one plan or department."""
    visible = visible_milestones(actor).subquery()
    query = select(
        visible.c.id, visible.c.plan_id, visible.c.department_id, Assignment.measure_id, visible.c.phase_id,
        Assignment.role, visible.c.due_date, visible.c.state, visible.c.submitted_at, visible.c.approved_at,
    ).join(Assignment, Assignment.id == visible.c.assignment_id)
    if plan_id is not None:
        query = query.where(visible.c.plan_id == plan_id)
    if department_id is not None:
        query = query.where(visible.c.department_id == department_id)
    return [MilestoneFact(*row) for row in session.execute(query.order_by(visible.c.due_date, visible.c.id))]


def worst_light(lights: Iterable[str]) -> str:
    """The light of a group (measure, phase, plan): its worst member; grey when empty."""
    present = set(lights)
    for light in LIGHT_SEVERITY:
        if light in present:
            return light
    return GREY


def light_of(fact: MilestoneFact, today: date) -> str:
    return status_light(fact.state, fact.due_date, today)


def lights_by(facts: Iterable[MilestoneFact], today: date, key) -> dict:
    """Group lights by `key(fact)`, e.g. `lambda f: (f.measure_id, f.phase_id)`."""
    grouped: dict = defaultdict(list)
    for fact in facts:
        grouped[key(fact)].append(light_of(fact, today))
    return {k: worst_light(v) for k, v in grouped.items()}


def light_counts(facts: Iterable[MilestoneFact], today: date) -> dict[str, int]:
    counts = Counter(light_of(f, today) for f in facts)
    return {light: counts.get(light, 0) for light in LIGHT_SEVERITY}


@dataclass(frozen=True)
class Completion:
    total: int
    approved: int

    @property
    def percent(self) -> int:
        return round(100 * self.approved / self.total) if self.total else 0


def plan_completion(facts: Iterable[MilestoneFact]) -> dict[int, Completion]:
    """Per plan: approved milestones out of all its milestones."""
    totals: Counter = Counter()
    approved: Counter = Counter()
    for fact in facts:
        totals[fact.plan_id] += 1
        approved[fact.plan_id] += fact.state == APPROVED
    return {plan_id: Completion(totals[plan_id], approved[plan_id]) for plan_id in totals}


def _local_date(instant: datetime | None, tz: ZoneInfo) -> date | None:
    return instant.astimezone(tz).date() if instant else None


@dataclass(frozen=True)
class DepartmentRank:
    department_id: int
    total: int
    approved: int
    # Milestones already due (due date passed) or done early: the ones a rate can judge.
    judged: int
    on_time: int
    overdue: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


def department_ranking(facts: Iterable[MilestoneFact], today: date, tz: ZoneInfo) -> list[DepartmentRank]:
    """Departments ranked by on-time rate (best first), then fewer overdue, then more approved.

    A milestone counts as on time when it is approved and its accepted report was
    submitted (local date) on or before the due date; review time is the office's,
    not the department's. The rate is over milestones that are due or approved;
    departments with nothing to judge yet rank last.
    """
    rows: dict[int, Counter] = defaultdict(Counter)
    for fact in facts:
        row = rows[fact.department_id]
        row["total"] += 1
        approved = fact.state == APPROVED
        row["approved"] += approved
        if approved or fact.due_date < today:
            row["judged"] += 1
        submitted = _local_date(fact.submitted_at, tz)
        if approved and submitted is not None and submitted <= fact.due_date:
            row["on_time"] += 1
        if is_overdue(fact.state, fact.due_date, today):
            row["overdue"] += 1
    return ranked(
        DepartmentRank(dep, r["total"], r["approved"], r["judged"], r["on_time"], r["overdue"])
        for dep, r in rows.items()
    )


def rank_key(r: DepartmentRank) -> tuple:
    """The one ranking of departments (the dashboard, the monthly and the weekly bulletins):
    on-time rate, best first, then fewer overdue, then more approved; nothing judged yet last."""
    return (r.on_time_rate is None, -(r.on_time_rate or 0), r.overdue, -r.approved, r.department_id)


def ranked(ranks: Iterable[DepartmentRank]) -> list[DepartmentRank]:
    return sorted(ranks, key=rank_key)


def rank_columns(today: date, tz: ZoneInfo) -> tuple:
    """A DepartmentRank's counts after its department id, as SQL aggregates over the
    selected milestones (the Python form is department_ranking)."""
    approved = Milestone.state == APPROVED
    return (
        func.count(),
        _count_if(approved),
        _count_if(approved | (Milestone.due_date < today)),
        _count_if(approved & (local_date(Milestone.submitted_at, tz) <= Milestone.due_date)),
        _count_if(overdue_sql(today)),
    )


@dataclass(frozen=True)
class Overdue:
    fact: MilestoneFact
    days_late: int


def overdue_list(facts: Iterable[MilestoneFact], today: date) -> list[Overdue]:
    """Milestones past due and not approved, the latest first (calendar days late)."""
    late = [Overdue(f, (today - f.due_date).days) for f in facts if is_overdue(f.state, f.due_date, today)]
    return sorted(late, key=lambda o: (-o.days_late, o.fact.id))


@dataclass(frozen=True)
class ProgressPoint:
    day: date
    planned_percent: int  # share of milestones whose due date has come
    actual_percent: int  # share approved by that day


def progress_over_time(
    facts: Iterable[MilestoneFact], start: date, end: date, tz: ZoneInfo, points: int = 12
) -> list[ProgressPoint]:
    """Planned versus actual completion at `points` evenly spaced days from start to end."""
    facts = list(facts)
    due = Counter(f.due_date for f in facts)
    approved = Counter(d for f in facts if (d := _local_date(f.approved_at, tz)) is not None)
    return progress_series(due, approved, len(facts), start, end, points)


def progress_series(
    due: Counter, approved: Counter, total: int, start: date, end: date, points: int = 12
) -> list[ProgressPoint]:
    """The same from counts: milestones per due date and per (local) approval date."""
    if not total or end < start:
        return []
    span = (end - start).days
    steps = max(1, min(points - 1, span))
    series = []
    for i in range(steps + 1):
        day = start + timedelta(days=round(span * i / steps))
        planned = sum(n for d, n in due.items() if d <= day)
        actual = sum(n for d, n in approved.items() if d <= day)
        series.append(ProgressPoint(day, round(100 * planned / total), round(100 * actual / total)))
    return series


def as_of(facts: Iterable[MilestoneFact], day: date, tz: ZoneInfo) -> list[MilestoneFact]:
    """The facts as they stood at the end of `day`: later approvals are undone.

    Bulletins for a past period use this; other state changes are not rewound.
    """
    rewound = []
    for fact in facts:
        approved = _local_date(fact.approved_at, tz)
        if fact.state == APPROVED and approved is not None and approved > day:
            fact = replace(fact, state=SUBMITTED, approved_at=None)
        rewound.append(fact)
    return rewound


# --- the dashboard, in SQL ------------------------------------------------------
# The same rules as status_light, department_ranking, overdue_list and
# progress_over_time above, as grouped queries over the milestones table.


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class PlanFigures:
    """One plan's share of the dashboard; empty (all grey) for a plan without milestones."""

    completion: Completion = Completion(0, 0)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHT_SEVERITY, 0))
    phase_lights: dict[int | None, str] = field(default_factory=dict)
    first_due: date | None = None
    due: Counter = field(default_factory=Counter)  # milestones per due date
    approved: Counter = field(default_factory=Counter)  # milestones per local approval date


@dataclass
class DashboardFigures:
    plans: dict[int, PlanFigures]
    measure_lights: dict[int, str]
    ranking: list[DepartmentRank]
    overdue: list[Overdue]  # the first `overdue_shown`, latest first
    overdue_total: int


def dashboard_figures(
    session: Session, actor: Actor, plan_ids: list[int], today: date, tz: ZoneInfo, *, overdue_shown: int = 20
) -> DashboardFigures:
    """Lights, completion, ranking, overdue list and progress counts of the given
    plans' milestones the actor may read, in a few grouped queries."""
    visible = visible_milestones(actor).where(Milestone.plan_id.in_(plan_ids))
    severity = light_severity_sql(today)

    plans: dict[int, PlanFigures] = {}
    worst_phase: dict[tuple[int, int | None], int] = {}
    for plan_id, phase_id, light_rank, due_date, count in session.execute(
        visible.with_only_columns(Milestone.plan_id, Milestone.phase_id, severity, Milestone.due_date, func.count())
        .group_by(Milestone.plan_id, Milestone.phase_id, severity, Milestone.due_date)
    ):
        figures = plans.setdefault(plan_id, PlanFigures())
        figures.counts[LIGHT_SEVERITY[light_rank]] += count
        figures.due[due_date] += count
        figures.first_due = min(due_date, figures.first_due or due_date)
        key = (plan_id, phase_id)
        worst_phase[key] = min(light_rank, worst_phase.get(key, light_rank))
    for (plan_id, phase_id), light_rank in worst_phase.items():
        plans[plan_id].phase_lights[phase_id] = LIGHT_SEVERITY[light_rank]
    for figures in plans.values():
        figures.completion = Completion(sum(figures.counts.values()), figures.counts[GREEN])

    approved_day = local_date(Milestone.approved_at, tz)
    for plan_id, day, count in session.execute(
        visible.with_only_columns(Milestone.plan_id, approved_day, func.count())
        .where(Milestone.approved_at.is_not(None))
        .group_by(Milestone.plan_id, approved_day)
    ):
        plans[plan_id].approved[day] = count

    measure_lights = {
        measure_id: LIGHT_SEVERITY[light_rank]
        for measure_id, light_rank in session.execute(
            visible.with_only_columns(Assignment.measure_id, func.min(severity))
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .group_by(Assignment.measure_id)
        )
    }

    overdue = overdue_sql(today)
    ranking = ranked(
        DepartmentRank(*row)
        for row in session.execute(
            visible.with_only_columns(Milestone.department_id, *rank_columns(today, tz)).group_by(Milestone.department_id)
        )
    )

    late = session.execute(
        visible.with_only_columns(
            Milestone.id, Milestone.plan_id, Milestone.department_id, Assignment.measure_id, Milestone.phase_id,
            Assignment.role, Milestone.due_date, Milestone.state, Milestone.submitted_at, Milestone.approved_at,
        )
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .where(overdue)
        .order_by(Milestone.due_date, Milestone.id)
        .limit(overdue_shown)
    )
    return DashboardFigures(
        plans=plans,
        measure_lights=measure_lights,
        ranking=ranking,
        overdue=[Overdue(MilestoneFact(*row), (today - row.due_date).days) for row in late],
        overdue_total=sum(f.counts[RED] for f in plans.values()),
    )


def completion_by_plan(session: Session, actor: Actor) -> dict[int, Completion]:
    """Per plan the actor may read: approved milestones out of all (the plan list)."""
    rows = session.execute(
        visible_milestones(actor)
        .with_only_columns(Milestone.plan_id, func.count(), _count_if(Milestone.state == APPROVED))
        .group_by(Milestone.plan_id)
    )
    return {plan_id: Completion(total, done) for plan_id, total, done in rows}
