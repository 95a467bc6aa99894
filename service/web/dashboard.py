"""`/`: the dashboard for the office and leaders; a department lands in its inbox."""

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from service.auth.actor import Actor
from service.delivery.models import DEAD, Notification
from service.departments.models import Department
from service.dependencies import CalendarDep, SessionDep, SettingsDep, TodayDep
from service.holidays.service import uncovered_years_ahead
from service.workdays import uncovered_warning
from service.milestones import assignments, stats, status
from service.milestones.models import SUBMITTED
from service.milestones.service import list_extension_requests, list_milestones
from service.plans import versions
from service.plans.models import PLAN_ACTIVE, PLAN_ARCHIVED, Plan
from service.plans.service import visible_plans
from service.web.lookups import department_names, load_milestones
from service.web.render import local_time, redirect, render, templates
from service.web.session import PageActorDep
from service.web.worklist import CHASE_CHOICES

router = APIRouter()
OVERDUE_SHOWN = 20
# Detailed panels for the most urgent plans; the rest get one line each, so an
# office (or a city reading all its districts) with many plans keeps a page it can read.
PANELS_SHOWN = 6


@dataclass
class PlanPanel:
    plan: Plan
    completion: stats.Completion
    counts: dict[str, int]
    phase_lights: list[tuple[str, date, str]]
    measure_lights: list[tuple[int, str, str]]  # measure id, number label, light
    progress: list[stats.ProgressPoint]


def plan_panel(plan: Plan, figures: stats.DashboardFigures, today: date, tz) -> PlanPanel:
    own = figures.plans.get(plan.id) or stats.PlanFigures()
    task_numbers = {t.id: t.number for t in plan.tasks}
    measure_lights = [
        (measure.id, label, figures.measure_lights.get(measure.id, status.GREY))
        for measure, label in measure_labels(plan, task_numbers)
    ]
    # From the first due date or activation, whichever is earlier: a plan imported
    # late (its phases already past) still shows its whole course.
    starts = [plan.activated_at.astimezone(tz).date() if plan.activated_at else today]
    starts += [own.first_due] if own.first_due else []
    start = min(starts)
    end = max(today, start)
    return PlanPanel(
        plan=plan,
        completion=own.completion,
        counts=own.counts,
        phase_lights=[(p.name, p.deadline, own.phase_lights.get(p.id, status.GREY)) for p in plan.phases],
        measure_lights=measure_lights,
        progress=stats.progress_series(own.due, own.approved, own.completion.total, start, end),
    )


def measure_labels(plan: Plan, task_numbers: dict[int, str]) -> list[tuple]:
    """(measure, "3.2") pairs: task number and the measure's place in its task."""
    seen: dict[int | None, int] = {}
    labels = []
    for measure in plan.measures:
        seen[measure.task_id] = seen.get(measure.task_id, 0) + 1
        prefix = task_numbers.get(measure.task_id, "保障") if measure.task_id else "保障"
        labels.append((measure, f"{prefix}.{seen[measure.task_id]}"))
    return labels


def active_plans(session: Session, actor: Actor) -> list[Plan]:
    """The active plans the actor may read, newest first."""
    return list(session.scalars(visible_plans(actor).where(Plan.status == PLAN_ACTIVE).order_by(Plan.id.desc())))


def with_panel_details(session: Session, plans: list[Plan]) -> list[Plan]:
    """The same plans, in the same order, with the phases, tasks and measures their panels show."""
    loaded = session.scalars(
        select(Plan)
        .where(Plan.id.in_([p.id for p in plans]))
        .options(selectinload(Plan.phases), selectinload(Plan.tasks), selectinload(Plan.measures))
        .execution_options(populate_existing=True)
    )
    by_id = {plan.id: plan for plan in loaded}
    return [by_id[p.id] for p in plans]


# The dashboard's figures, unit counts and rendered parts: shared by everyone who opens it
# until something changes. Keyed by who reads (their offices), which plans with their
# versions (`plans.versions`: database triggers count every change to a plan and anything
# in it, whichever flow or statement made it), and the business date; twenty people opening
# the dashboard at once cost one computation.
FiguresCache = versions.SharedCache


def figures_cache(request: Request) -> FiguresCache:
    state = request.app.state
    if not hasattr(state, "dashboard_figures"):
        state.dashboard_figures = FiguresCache(size=128)
    return state.dashboard_figures


def most_urgent_first(plans: list[Plan], figures: stats.DashboardFigures) -> list[tuple[Plan, stats.PlanFigures]]:
    """Most red lights first, then most yellow, then the newest plan."""
    with_figures = [(plan, figures.plans.get(plan.id) or stats.PlanFigures()) for plan in plans]
    return sorted(
        with_figures, key=lambda pf: (-pf[1].counts[status.RED], -pf[1].counts[status.YELLOW], -pf[0].id)
    )


def failed_deliveries(session: Session, actor: Actor, limit: int = 10) -> tuple[list[Notification], int]:
    query = select(Notification).where(
        Notification.office_id.in_(actor.readable_office_ids), Notification.status == DEAD
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit))), total


UNIT_SORTS = (*assignments.CHASE_STATUSES, "total", "name")
# Units shown until "show all": the ones to chase first by the chosen column. Each row carries a
# 催办 form, and all 300 units of a large office tripled the page.
UNITS_SHOWN = 20


def unit_table(rows: list[assignments.UnitCounts], names: dict[int, str], sort: str):
    """The unit table's rows, most to chase first by the chosen column (name: alphabetical)."""
    if sort == "name":
        return sorted(rows, key=lambda r: names.get(r.department_id, ""))
    if sort == "total":
        return sorted(rows, key=lambda r: (-r.total, names.get(r.department_id, "")))
    return sorted(rows, key=lambda r: (-r.counts[sort], -r.counts[assignments.OVERDUE], names.get(r.department_id, "")))


@dataclass(frozen=True)
class Parts:
    """The dashboard's rendered parts that follow the plans' contents (and the units' names)
    alone, shared by every viewer with the same key; what is per request (CSRF token, user,
    flash, the unit table with its forms, failed deliveries) is not in them."""

    panels: int
    plans: Markup
    overdue: Markup
    ranking: Markup
    review: Markup
    extensions: Markup


def render_parts(
    session: Session, actor: Actor, plan_ids: list[int], figures: stats.DashboardFigures, names: dict[int, str],
    today: date, tz,
) -> Parts:
    plans = list(session.scalars(select(Plan).where(Plan.id.in_(plan_ids)).order_by(Plan.id.desc())))
    ranked_plans = most_urgent_first(plans, figures)
    detailed = with_panel_details(session, [p for p, _ in ranked_plans[:PANELS_SHOWN]])
    panels = [plan_panel(p, figures, today, tz) for p in detailed]
    review_queue, review_total = list_milestones(session, actor, today=today, state=SUBMITTED, limit=10)
    extensions = list_extension_requests(session, actor)
    shown = load_milestones(
        session, [o.fact.id for o in figures.overdue] + [m.id for m in review_queue] + [e.milestone_id for e in extensions]
    )
    ranking = figures.ranking
    macros = templates.env.get_template("web/dashboard_parts.html").module
    return Parts(
        panels=len(panels),
        plans=macros.plans(panels, ranked_plans[PANELS_SHOWN:]),
        overdue=macros.overdue_card(figures.overdue, figures.overdue_total, shown, names),
        ranking=macros.ranking_card(
            ranking, [(names.get(r.department_id, "?"), r.on_time_rate, r.overdue) for r in ranking[:15]], names
        ),
        review=macros.review_card(review_queue, review_total, shown, names, lambda value: local_time(value, tz)),
        extensions=macros.extensions_card(extensions, shown, names),
    )


# Built once (statement construction cost more than running it).
_OFFICE_PLANS = (
    select(Plan.id, Plan.status, versions.of(Plan.id))
    .where(Plan.office_id.in_(bindparam("offices", expanding=True)), Plan.status != PLAN_ARCHIVED)
    .order_by(Plan.id.desc())
)


def dashboard_plans(session: Session, actor: Actor) -> list[tuple[int, str, int]]:
    """(id, status, version) of the plans the dashboard reads, newest first: the active ones it
    shows, and the drafts (the review queue covers every plan not archived)."""
    if actor.department_id is None:  # an office's reader: its plans and its districts'
        rows = session.execute(_OFFICE_PLANS, {"offices": sorted(actor.readable_office_ids)})
    else:
        rows = session.execute(
            visible_plans(actor).where(Plan.status != PLAN_ARCHIVED)
            .with_only_columns(Plan.id, Plan.status, versions.of(Plan.id)).order_by(Plan.id.desc())
        )
    return [tuple(row) for row in rows]


@router.get("/")
def dashboard(
    request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep,
    calendar: CalendarDep, sort: str = "overdue", units: str | None = None,
):
    if actor.is_department:
        return redirect(request, "/inbox")
    if actor.is_operator:
        return redirect(request, "/holidays")  # the operator's work; no office's dashboard
    tz = settings.tz
    # Read before anything is computed from the plans: a change committed meanwhile moves a
    # version, so nothing older than the key is ever cached under it.
    plans = dashboard_plans(session, actor)
    plan_ids = [plan_id for plan_id, state, _ in plans if state == PLAN_ACTIVE]
    key = (actor.readable_office_ids, actor.department_id, today, tuple(plans))
    cache = figures_cache(request)
    figures = cache.get(
        key, lambda: stats.dashboard_figures(session, actor, plan_ids, today, tz, overdue_shown=OVERDUE_SHOWN)
    )
    # The unit counts change with the same events; at 100,000 milestones they cost
    # more than the rest of a view with the figures cached.
    due_soon_until = calendar.add_workdays(today, assignments.DUE_SOON_WORKDAYS)
    unit_counts = cache.get(
        ("units", *key, due_soon_until),
        lambda: assignments.unit_counts(session, actor, today=today, due_soon_until=due_soon_until),
    )
    # Units are renamed without touching a plan: their names are part of the parts' key.
    names = department_names(session, actor)
    parts = cache.get(
        ("parts", *key, tuple(names.items())),
        lambda: render_parts(session, actor, plan_ids, figures, names, today, tz),
    )
    # Progress reports count in their plan's version too.
    reporting = cache.get(("reporting", *key), lambda: assignments.reporting_rates(session, actor, today=today, tz=tz))
    sort = sort if sort in UNIT_SORTS else "overdue"
    unit_rows = unit_table(unit_counts, names, sort)
    all_units = units == "all"
    dead, dead_total = failed_deliveries(session, actor)
    return render(
        request,
        "dashboard.html",
        {
            "parts": parts,
            "names": names,
            "units": unit_rows if all_units else unit_rows[:UNITS_SHOWN],
            "units_total": len(unit_rows),
            "units_all": "&units=all" if all_units else "",
            "reporting": reporting,
            "unit_sort": sort,
            "unit_columns": {s: assignments.STATUS_LABELS[s] for s in assignments.CHASE_STATUSES}
            | {assignments.DUE_SOON: f"{assignments.DUE_SOON_WORKDAYS} 个工作日内到期"},
            "chase_choices": CHASE_CHOICES,
            # A parent office reads its districts' units but chases only its own.
            "own_units": set(session.scalars(select(Department.id).where(Department.office_id == actor.office_id))),
            "dead": dead,
            "dead_total": dead_total,
            "calendar_warnings": [(y, uncovered_warning(y)) for y in uncovered_years_ahead(calendar, today)]
            if actor.is_admin else [],
        },
    )
