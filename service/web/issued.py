"""上级交办: a child office's admins see the parent offices' 督办件 issued to their office,
sign them and decompose each into their own plan; a parent sees, per issued measure, a row
per child office. Reporting up is done on the 督办件's own page."""

from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.dependencies import IdPath, NowDep, SessionDep, TodayDep
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.flows import cascade
from service.flows.drafting import unit_choices
from service.plans.models import PLAN_DRAFT
from service.plans.service import get_plan, list_plans
from service.web.actions import form_int, run_action
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
            "drafts": list_plans(session, actor, statuses=[PLAN_DRAFT]) if actor.is_admin else [],
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
              today: TodayDep):
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
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        typed["support"] = form.getlist("support")
        return _page(request, session, actor, today, refused={"id": assignment_id, "message": exc.message, "typed": typed})
    title = get_plan(session, actor, measure.plan_id).title
    return redirect(request, f"/plans/{measure.plan_id}#measure-{measure.id}", f"已分解到本级计划《{title}》，启动该计划后交办各单位")


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
    shares = cascade.plan_shares(session, actor, plan_id, today=today)
    return render(request, "plan_shares.html", {"shares": shares, "plan": get_plan(session, actor, plan_id)})
