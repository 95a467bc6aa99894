"""Progress figures for the dashboard, the plan view and the bulletin (督办通报).

Everything here works on `MilestoneFact` rows (a few columns per milestone, no
ORM objects), so one query feeds every figure and the functions stay pure.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.milestones.models import APPROVED, RETURNED, SUBMITTED
from service.milestones.service import visible_milestones
from service.plans.models import Assignment

GREEN = "green"
YELLOW = "yellow"
RED = "red"
GREY = "grey"
# Worst first: a group of milestones shows the worst light among them.
LIGHT_SEVERITY = (RED, YELLOW, GREY, GREEN)
LIGHT_LABELS = {GREEN: "已办结", YELLOW: "需关注", RED: "已逾期", GREY: "未到期"}
DUE_SOON_DAYS = 7


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


def status_light(state: str, due_date: date, today: date) -> str:
    """The light of one milestone, in this order of precedence:

    - green  (已办结): approved.
    - red    (已逾期): not approved and the due date is before today (overdue, derived).
    - yellow (需关注): not approved, not overdue, and either returned for rework
      or due within DUE_SOON_DAYS (7) calendar days, today included.
    - grey   (未到期): everything else — due later than that and not returned,
      whatever its state (not started, acknowledged, or submitted early).
    """
    if state == APPROVED:
        return GREEN
    if due_date < today:
        return RED
    if state == RETURNED or (due_date - today).days <= DUE_SOON_DAYS:
        return YELLOW
    return GREY


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
        if not approved and fact.due_date < today:
            row["overdue"] += 1
    ranks = [
        DepartmentRank(dep, r["total"], r["approved"], r["judged"], r["on_time"], r["overdue"])
        for dep, r in rows.items()
    ]
    return sorted(
        ranks,
        key=lambda r: (r.on_time_rate is None, -(r.on_time_rate or 0), r.overdue, -r.approved, r.department_id),
    )


@dataclass(frozen=True)
class Overdue:
    fact: MilestoneFact
    days_late: int


def overdue_list(facts: Iterable[MilestoneFact], today: date) -> list[Overdue]:
    """Milestones past due and not approved, the latest first (calendar days late)."""
    late = [Overdue(f, (today - f.due_date).days) for f in facts if f.state != APPROVED and f.due_date < today]
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
    if not facts or end < start:
        return []
    due_days = sorted(f.due_date for f in facts)
    approved_days = sorted(d for f in facts if (d := _local_date(f.approved_at, tz)) is not None)
    span = (end - start).days
    steps = max(1, min(points - 1, span))
    series = []
    for i in range(steps + 1):
        day = start + timedelta(days=round(span * i / steps))
        planned = sum(1 for d in due_days if d <= day)
        actual = sum(1 for d in approved_days if d <= day)
        series.append(ProgressPoint(day, round(100 * planned / len(facts)), round(100 * actual / len(facts))))
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
