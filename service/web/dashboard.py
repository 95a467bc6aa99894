"""`/`: the dashboard for the office and leaders; a department lands in its inbox."""

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.delivery.models import DEAD, Notification
from service.dependencies import SessionDep, SettingsDep, TodayDep
from service.milestones import stats
from service.milestones.models import SUBMITTED
from service.milestones.service import list_extension_requests, list_milestones
from service.plans.models import PLAN_ACTIVE, Plan
from service.plans.service import get_plan, list_plans
from service.web.lookups import department_names, load_milestones
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
OVERDUE_SHOWN = 20


@dataclass
class PlanPanel:
    plan: Plan
    completion: stats.Completion
    counts: dict[str, int]
    phase_lights: list[tuple[str, date, str]]
    measure_lights: list[tuple[int, str, str]]  # measure id, number label, light
    progress: list[stats.ProgressPoint]


def plan_panel(session: Session, actor: Actor, plan: Plan, facts: list[stats.MilestoneFact], today: date, tz) -> PlanPanel:
    plan = get_plan(session, actor, plan.id)
    by_phase = stats.lights_by(facts, today, lambda f: f.phase_id)
    by_measure = stats.lights_by(facts, today, lambda f: f.measure_id)
    task_numbers = {t.id: t.number for t in plan.tasks}
    measure_lights = [
        (measure.id, label, by_measure.get(measure.id, stats.GREY))
        for measure, label in measure_labels(plan, task_numbers)
    ]
    # From the first due date or activation, whichever is earlier: a plan imported
    # late (its phases already past) still shows its whole course.
    starts = [plan.activated_at.astimezone(tz).date() if plan.activated_at else today]
    starts += [min(f.due_date for f in facts)] if facts else []
    start = min(starts)
    end = max(today, start)
    return PlanPanel(
        plan=plan,
        completion=stats.plan_completion(facts).get(plan.id, stats.Completion(0, 0)),
        counts=stats.light_counts(facts, today),
        phase_lights=[(p.name, p.deadline, by_phase.get(p.id, stats.GREY)) for p in plan.phases],
        measure_lights=measure_lights,
        progress=stats.progress_over_time(facts, start, end, tz),
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


def failed_deliveries(session: Session, actor: Actor, limit: int = 10) -> tuple[list[Notification], int]:
    query = select(Notification).where(
        Notification.office_id.in_(actor.readable_office_ids), Notification.status == DEAD
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit))), total


@router.get("/")
def dashboard(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep):
    if actor.is_department:
        return redirect(request, "/inbox")
    tz = settings.tz
    plans = [p for p in list_plans(session, actor) if p.status == PLAN_ACTIVE]
    facts = [f for f in stats.milestone_facts(session, actor) if f.plan_id in {p.id for p in plans}]
    panels = [plan_panel(session, actor, p, [f for f in facts if f.plan_id == p.id], today, tz) for p in plans]
    overdue = stats.overdue_list(facts, today)
    review_queue, review_total = list_milestones(session, actor, today=today, state=SUBMITTED, limit=10)
    extensions = list_extension_requests(session, actor)
    shown = load_milestones(
        session, [o.fact.id for o in overdue[:OVERDUE_SHOWN]] + [m.id for m in review_queue] + [e.milestone_id for e in extensions]
    )
    ranking = stats.department_ranking(facts, today, tz)
    names = department_names(session, actor)
    dead, dead_total = failed_deliveries(session, actor)
    return render(
        request,
        "dashboard.html",
        {
            "panels": panels,
            "overdue": overdue[:OVERDUE_SHOWN],
            "overdue_total": len(overdue),
            "review_queue": review_queue,
            "review_total": review_total,
            "extensions": extensions,
            "milestones": shown,
            "ranking": ranking,
            "ranking_bars": [(names.get(r.department_id, "?"), r.on_time_rate, r.overdue) for r in ranking[:15]],
            "names": names,
            "dead": dead,
            "dead_total": dead_total,
        },
    )
