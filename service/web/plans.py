"""Plans: the list, one plan's tree with lights and filters, activation, archiving, the 分工表 download."""

from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.dependencies import CalendarSourceDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.flows import cascade, choices
from service.milestones import stats
from service.milestones.models import STATES
from service.flows.drafting import delete_draft
from service.plans.models import (
    CYCLE_MONTHLY,
    CYCLE_NONE,
    CYCLE_QUARTERLY,
    CYCLE_WEEKLY,
    PLAN_ACTIVE,
    PLAN_ARCHIVED,
    PLAN_DRAFT,
    PLAN_STATUS_LABELS,
)
from service.plans.routes import task_table_response
from service.flows.activation import activate_plan, activation_summary
from service.flows.archival import archive_plan, restore_plan
from service.milestones.service import unfinished_milestones
from service.plans.service import get_plan, list_plans, set_choice_deadline, set_reporting_cycle, set_task_mandatory
from service.web.actions import Refused, confirmed, form_int, run_action, try_form
from service.web.dashboard import measure_labels
from service.web.lookups import department_names
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
# The plan list's filter: what is still being worked on (drafts too), the archive, or both.
PLAN_FILTERS = {
    "current": ("进行中", (PLAN_DRAFT, PLAN_ACTIVE)),
    "archived": ("已归档", (PLAN_ARCHIVED,)),
    "all": ("全部", None),
}


@router.get("/plans")
def plans_page(request: Request, actor: PageActorDep, session: SessionDep, show: str = "current"):
    show = show if show in PLAN_FILTERS else "current"
    plans = list_plans(session, actor, statuses=PLAN_FILTERS[show][1])
    completion = stats.completion_by_plan(session, actor)
    return render(
        request, "plans.html",
        {
            "plans": plans, "completion": completion, "status_labels": PLAN_STATUS_LABELS,
            "filters": {key: label for key, (label, _) in PLAN_FILTERS.items()}, "show": show,
        },
    )


# The reporting cycle form's choices, in the office's words.
CYCLE_CHOICES = {CYCLE_NONE: "不设", CYCLE_WEEKLY: "每周", CYCLE_MONTHLY: "每月N日", CYCLE_QUARTERLY: "每季度"}


def cycle_summary(plan) -> str:
    """The plan's reporting cycle as the page states it."""
    if plan.reporting_cycle == CYCLE_MONTHLY:
        return f"每月{plan.reporting_day}日"
    return {CYCLE_NONE: "不设定期报送"}.get(plan.reporting_cycle) or CYCLE_CHOICES.get(plan.reporting_cycle, "")


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request,
    plan_id: IdPath,
    actor: PageActorDep,
    session: SessionDep,
    today: TodayDep,
    department: str | None = None,
    phase: str | None = None,
    state: str | None = None,
    q: str | None = None,
):
    return _plan_view(request, session, actor, plan_id, today, department=department, phase=phase, state=state, q=q)


def _plan_view(
    request: Request, session: Session, actor: Actor, plan_id: int, today: date, *,
    department: str | None = None, phase: str | None = None, state: str | None = None, q: str | None = None,
    cycle_form: dict | None = None, cycle_errors: dict | None = None, refused: Refused | None = None,
    status_code: int = 200,
):
    """One plan's tree; with `cycle_form` and `cycle_errors`, the refused 定期报送 form as typed."""
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
            "issues_down": plan.status != PLAN_DRAFT and not actor.is_department
            and (cascade.issues_down(session, plan.id) or plan.choice_deadline is not None),
            "can_change": actor.is_admin and actor.office_id == plan.office_id,
            "unfinished": unfinished_milestones(session, plan.id) if plan.status != PLAN_DRAFT else 0,
            "cycle_choices": CYCLE_CHOICES,
            "cycle_summary": cycle_summary(plan),
            # What the form shows: what the admin typed after a refusal, else the plan's setting.
            "cycle_form": cycle_form or {"cycle": plan.reporting_cycle, "day": plan.reporting_day or ""},
            "cycle_errors": cycle_errors or {},
            "offers_choices": any(t.mandatory is False for t in plan.tasks),
            "refused": refused,
            "choice_requests": choices.pending_requests(session, plan.id) if not actor.is_department else 0,
        },
        status_code=status_code,
    )


@router.post("/plans/{plan_id}/reporting-cycle")
def reporting_cycle(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep,
                    today: TodayDep):
    """The office admin sets the plan's reporting cycle; a refusal re-renders the plan page
    with what was typed and the message beside its field."""
    form = request.state.form
    cycle, day_text = str(form.get("cycle") or ""), str(form.get("day") or "").strip()
    day = form_int(day_text) if cycle == CYCLE_MONTHLY else None
    try:
        if cycle == CYCLE_MONTHLY and day is None:
            raise Invalid("请填写每月的报送日（1 到 28 之间的整数）")
        set_reporting_cycle(session, actor, plan_id, cycle=cycle, day=day, now=now)
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        field = "day" if cycle == CYCLE_MONTHLY and isinstance(exc, Invalid) else "cycle"
        return _plan_view(request, session, actor, plan_id, today, cycle_form={"cycle": cycle, "day": day_text},
                          cycle_errors={field: exc.message}, status_code=422)
    plan = get_plan(session, actor, plan_id)
    return redirect(request, f"/plans/{plan_id}#reporting-cycle", f"报送周期已设为：{cycle_summary(plan)}")


# The draft's 必做/选做 control: the form's value and what it means.
MANDATORY_CHOICES = {"": None, "1": True, "0": False}


@router.post("/plans/{plan_id}/tasks/{task_id}/mandatory")
def task_mandatory(request: Request, plan_id: IdPath, task_id: IdPath, actor: PageActorDep, session: SessionDep,
                   now: NowDep):
    """必做 or 选做 for a task of the draft: 选做 tasks are offered to child offices, not issued."""
    mandatory = MANDATORY_CHOICES.get(str(request.state.form.get("mandatory") or ""))
    return run_action(
        request, session, lambda: set_task_mandatory(session, actor, plan_id, task_id, mandatory, now=now),
        ok="已保存任务类型", back=f"/plans/{plan_id}#choices",
    )


@router.post("/plans/{plan_id}/choice-deadline")
def choice_deadline(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep,
                    today: TodayDep):
    """The 选做申报 date; a refusal re-renders the plan page with the date as typed beside its reason."""
    text = str(request.state.form.get("choice_deadline") or "").strip()

    def change():
        try:
            day = date.fromisoformat(text) if text else None
        except ValueError:
            raise Invalid("选做申报截止日期的格式不正确", field="choice_deadline") from None
        set_choice_deadline(session, actor, plan_id, day, now=now)

    refused = try_form(request, session, change, "choice_deadline")
    if refused:
        return _plan_view(request, session, actor, plan_id, today, refused=refused, status_code=422)
    return redirect(request, f"/plans/{plan_id}#choices", "已保存选做申报截止日期")


@router.get("/plans/{plan_id}/activate")
def activate_page(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep):
    """The confirmation before a plan starts: what it will create and whom it will notify."""
    actor.require_admin()
    plan = get_plan(session, actor, plan_id)
    if plan.status != PLAN_DRAFT:
        return redirect(request, f"/plans/{plan_id}", "计划已启动")
    return render(request, "activate.html", {"plan": plan, "a": activation_summary(session, actor, plan_id)})


@router.post("/plans/{plan_id}/activate")
def activate(
    request: Request,
    plan_id: IdPath,
    actor: PageActorDep,
    session: SessionDep,
    now: NowDep,
    source: CalendarSourceDep,
    settings: SettingsDep,
):
    form = request.state.form
    return run_action(
        request, session,
        confirmed(request, lambda: activate_plan(
            session, actor, plan_id, now=now, calendar=source.for_office(actor.office_id, now),
            support_lead_workdays=settings.support_lead_workdays, expand_groups=form.get("expand_groups") == "1",
        ), "启动"),
        ok="计划已启动，已为各单位生成节点", back=f"/plans/{plan_id}" if request.state.form.get("confirm") == "1" else f"/plans/{plan_id}/activate",
    )


@router.post("/plans/{plan_id}/archive")
def archive(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(
        request, session, confirmed(request, lambda: archive_plan(session, actor, plan_id, now=now), "归档"),
        ok="计划已归档：不再催办，各单位不能再签收、报送", back=f"/plans/{plan_id}",
    )


@router.post("/plans/{plan_id}/restore")
def restore(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(
        request, session, confirmed(request, lambda: restore_plan(session, actor, plan_id, now=now), "恢复"),
        ok="计划已恢复推进，未办结的节点将重新开始催办", back=f"/plans/{plan_id}",
    )


@router.post("/plans/{plan_id}/delete")
def delete(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    deleted: list[str] = []
    try:
        confirmed(request, lambda: deleted.append(delete_draft(session, actor, plan_id, now=now)), "删除")()
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        return redirect(request, f"/plans/import?plan={plan_id}#delete", exc.message, kind="error")
    return redirect(request, "/plans", f"草稿“{deleted[0]}”已删除")


@router.get("/plans/{plan_id}/task-table.xlsx")
def task_table(plan_id: IdPath, actor: PageActorDep, session: SessionDep):
    return task_table_response(session, actor, plan_id)
