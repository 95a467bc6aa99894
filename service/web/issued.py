"""上级交办: a child office's admins see the parent offices' 督办件 issued to their office,
sign them and decompose each into their own plan; a parent sees, per issued measure, a row
per child office. Reporting up is done on the 督办件's own page."""

from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.dependencies import (
    CalendarDep,
    IdPath,
    NowDep,
    SessionDep,
    SettingsDep,
    TodayDep,
)
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.flows import cascade, choices
from service.flows.drafting import unit_choices
from service.plans.models import PLAN_ACTIVE, PLAN_DRAFT
from service.plans.service import get_plan, list_plans
from service.web.actions import attempt, confirmed, form_int, run_action
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()


@router.get("/issued")
def issued_page(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep):
    return _page(request, session, actor, today)


def _page(request: Request, session: Session, actor: Actor, today: date, *, refused: dict | None = None):
    """A refused 分解落实 comes back (422) as typed, its reason shown in that item's form."""
    return render(
        request,
        "issued.html",
        {
            "items": cascade.issued_to_office(session, actor, today=today),
            "own_plans": list_plans(session, actor, statuses=[PLAN_DRAFT, PLAN_ACTIVE]) if actor.is_admin else [],
            "units": unit_choices(session, actor.office_id),
            "refused": refused or {},
        },
        status_code=422 if refused else 200,
    )


@router.post("/issued/{assignment_id}/sign")
def sign(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(
        request, session, lambda: cascade.sign_issued(session, actor, assignment_id, now=now),
        ok="已签收", back=f"/issued#issued-{assignment_id}",
    )


@router.post("/issued/{assignment_id}/decompose")
def decompose(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep,
              today: TodayDep, calendar: CalendarDep, settings: SettingsDep):
    form = request.state.form
    plan_id = form_int(form.get("plan_id"))
    phase = str(form.get("phase_deadline") or "").strip()
    try:
        measure = cascade.decompose(
            session, actor, assignment_id,
            plan_id=plan_id, plan_title=None if plan_id else str(form.get("plan_title") or "").strip(),
            phases=[{"name": str(form.get("phase_name") or "").strip() or "落实阶段", "deadline": phase}] if phase and not plan_id else [],
            text=str(form.get("text") or ""), deadline=_date(form.get("deadline")),
            lead=[i for i in [form_int(form.get("lead"))] if i], support=[form_int(v) for v in form.getlist("support") if form_int(v)],
            late_reason=str(form.get("late_reason") or ""), now=now,
            calendar=calendar, support_lead_workdays=settings.support_lead_workdays,
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        typed["support"] = form.getlist("support")
        return _page(request, session, actor, today, refused={"id": assignment_id, "message": exc.message, "typed": typed})
    plan = get_plan(session, actor, measure.plan_id)
    then = "已交办各单位" if plan.status == PLAN_ACTIVE else "启动该计划后交办各单位"
    return redirect(request, f"/plans/{measure.plan_id}#measure-{measure.id}", f"已分解到本级计划《{plan.title}》，{then}")


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("完成时限的日期格式不正确") from None


@router.get("/measures/{measure_id}/issued")
def issued_rows_page(request: Request, measure_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep):
    rows = cascade.issued_rows(session, actor, measure_id, today=today)
    measure = rows[0].item.assignment.measure if rows else None
    return render(request, "issued_rows.html", {"rows": rows, "measure": measure, "measure_id": measure_id})


@router.get("/plans/{plan_id}/issued")
def plan_shares_page(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep):
    return _shares_page(request, session, actor, plan_id, today)


def _shares_page(request: Request, session: Session, actor: Actor, plan_id: int, today: date, *,
                 refused: dict | None = None):
    """With who chose which optional tasks; a refused decision comes back (422) with its reason as typed."""
    shares = cascade.plan_shares(session, actor, plan_id, today=today)
    plan = get_plan(session, actor, plan_id)
    return render(
        request, "plan_shares.html",
        {"shares": shares, "plan": plan, "choices": choices.plan_choices(session, actor, plan_id),
         "can_decide": actor.is_admin and actor.office_id == plan.office_id, "refused": refused or {},
         "pending_requests": choices.pending_requests(session, plan_id)},
        status_code=422 if refused else 200,
    )


@router.get("/issued/choices")
def choices_page(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep):
    return _choices_page(request, session, actor, today)


def _choices_page(request: Request, session: Session, actor: Actor, today: date, *, refused: dict | None = None):
    return render(
        request, "issued_choices.html",
        {"offered": choices.offered_to_office(session, actor), "today": today, "refused": refused or {}},
        status_code=422 if refused else 200,
    )


def _refused_form(session: Session, exc: DomainError, item_id: int, form) -> dict:
    session.rollback()
    return {"id": item_id, "message": exc.message, "reason": str(form.get("reason") or "")}


@router.post("/issued/choices/{task_id}")
def choose(request: Request, task_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep,
           calendar: CalendarDep, settings: SettingsDep):
    """选做申报: take or drop (confirmed) an optional task; after the date, a request to the parent."""
    form = request.state.form
    take = form.get("take") == "1"
    done = {}

    def change():
        done["choice"] = choices.choose(
            session, actor, task_id, take=take, reason=str(form.get("reason") or ""), today=today, now=now,
            calendar=calendar, support_lead_workdays=settings.support_lead_workdays,
        )

    refused = attempt(session, change if take else confirmed(request, change, "退选"))
    if refused is not None:
        return _choices_page(request, session, actor, today, refused=_refused_form(session, refused, task_id, form))
    choice = done["choice"]
    message = ("已提交变更申请，待上级办公室审批" if choice.request
               else "已选做，相关督办件已下发到本办公室" if choice.taken else "已退选")
    return redirect(request, f"/issued/choices#task-{task_id}", message)


@router.post("/choices/{choice_id}/decision")
def decide(request: Request, choice_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep,
           calendar: CalendarDep, settings: SettingsDep):
    """The parent approves (confirmed) or refuses with a reason a child office's late change."""
    form = request.state.form
    approve = form.get("decision") == "approve"
    done = {}

    def change():
        done["choice"] = choices.decide(
            session, actor, choice_id, approve=approve, reason=str(form.get("reason") or ""), now=now,
            calendar=calendar, support_lead_workdays=settings.support_lead_workdays,
        )

    refused = attempt(session, confirmed(request, change, "同意变更") if approve else change)
    if refused is not None:
        plan_id = choices.plan_of_choice(session, actor, choice_id)
        return _shares_page(request, session, actor, plan_id, today,
                            refused=_refused_form(session, refused, choice_id, form))
    plan_id = done["choice"].task.plan_id
    return redirect(request, f"/plans/{plan_id}/issued#choices", "已同意变更" if approve else "已退回变更申请")
