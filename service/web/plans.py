"""Plans: the list, one plan's tree with lights and filters, activation."""

from fastapi import APIRouter, Request

from service.dependencies import CalendarDep, NowDep, SessionDep, SettingsDep, TodayDep
from service.milestones import stats
from service.milestones.models import STATES
from service.plans.models import PLAN_DRAFT
from service.plans.service import activate_plan, get_plan, list_plans
from service.web.actions import form_int, run_action
from service.web.dashboard import measure_labels
from service.web.lookups import department_names
from service.web.render import render
from service.web.session import PageActorDep

router = APIRouter()
PLAN_STATUS_LABELS = {"draft": "草稿", "active": "推进中", "archived": "已归档"}


@router.get("/plans")
def plans_page(request: Request, actor: PageActorDep, session: SessionDep):
    plans = list_plans(session, actor)
    completion = stats.completion_by_plan(session, actor)
    return render(
        request, "plans.html", {"plans": plans, "completion": completion, "status_labels": PLAN_STATUS_LABELS}
    )


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request,
    plan_id: int,
    actor: PageActorDep,
    session: SessionDep,
    today: TodayDep,
    department: str | None = None,
    phase: str | None = None,
    state: str | None = None,
    q: str | None = None,
):
    plan = get_plan(session, actor, plan_id)
    names = department_names(session, actor)
    department_id, phase_id = form_int(department), form_int(phase)
    facts = stats.milestone_facts(session, actor, plan_id=plan.id)
    shown_facts = [
        f for f in facts
        if (department_id is None or f.department_id == department_id)
        and (phase_id is None or f.phase_id == phase_id)
        and (state not in STATES or f.state == state)
    ]
    # Lights per measure and phase, each with the milestones behind it for the links.
    cells: dict[tuple[int, int | None], list[stats.MilestoneFact]] = {}
    for f in shown_facts:
        cells.setdefault((f.measure_id, f.phase_id), []).append(f)
    filtering = department_id is not None or phase_id is not None or state in STATES
    needle = (q or "").strip()
    task_numbers = {t.id: t.number for t in plan.tasks}
    measures = [
        (m, label) for m, label in measure_labels(plan, task_numbers)
        if (not filtering or any(k[0] == m.id for k in cells))
        and (not needle or needle in m.text or any(needle in names.get(a.department_id, "") for a in m.assignments))
    ]
    return render(
        request,
        "plan.html",
        {
            "plan": plan,
            "names": names,
            "measures": measures,
            "cells": cells,
            "light_of": lambda fs: stats.worst_light(stats.light_of(f, today) for f in fs),
            "completion": stats.plan_completion(facts).get(plan.id, stats.Completion(0, 0)),
            "counts": stats.light_counts(facts, today),
            "departments": sorted({(names.get(f.department_id, ""), f.department_id) for f in facts}),
            "filters": {"department": department_id, "phase": phase_id, "state": state, "q": needle},
            "status_labels": PLAN_STATUS_LABELS,
            "is_draft": plan.status == PLAN_DRAFT,
        },
    )


@router.post("/plans/{plan_id}/activate")
def activate(
    request: Request,
    plan_id: int,
    actor: PageActorDep,
    session: SessionDep,
    now: NowDep,
    calendar: CalendarDep,
    settings: SettingsDep,
):
    form = request.state.form
    return run_action(
        request, session,
        lambda: activate_plan(
            session, actor, plan_id, now=now, calendar=calendar,
            support_lead_workdays=settings.support_lead_workdays, expand_groups=form.get("expand_groups") == "1",
        ),
        ok="计划已启动，已为各单位生成节点", back=f"/plans/{plan_id}",
    )
