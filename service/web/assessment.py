"""考核 pages: schemes (a fixed form of every item kind), results with ranking, grade
distribution and each unit's explanation; entering 加分/扣分, publishing, correcting;
the result as .xlsx and .docx."""

from decimal import Decimal

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assessment import service
from service.assessment.documents import DOCX_TYPE, XLSX_TYPE, result_docx, result_xlsx, title_of
from service.assessment.models import RESULT_DRAFT, RESULT_STATUS_LABELS, AssessmentScheme
from service.assessment.routes import download
from service.auth.actor import Actor
from service.dependencies import CalendarSourceDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.errors import DomainError, Forbidden, NotFound
from service.offices.models import Office
from service.plans.models import PLAN_DRAFT, Plan
from service.web.actions import confirmed, form_int, run_action
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
GRADE_ROWS = 5


def _plans(session: Session, actor: Actor) -> list[Plan]:
    return list(session.scalars(select(Plan).where(Plan.office_id == actor.office_id, Plan.status != PLAN_DRAFT)
                                .order_by(Plan.id.desc())))


@router.get("/assessment")
def assessment_home(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep):
    return _home(request, session, actor, today)


def _home(request: Request, session: Session, actor: Actor, today, *, typed: dict | None = None,
          error: str | None = None):
    schemes = service.list_schemes(session, actor)
    names = {s.id: f"{s.name}（第{s.version}版）" for s in schemes}
    results = service.list_results(session, actor)
    for r in results:
        if r.scheme_id not in names:
            scheme = session.get(AssessmentScheme, r.scheme_id)
            names[r.scheme_id] = f"{scheme.name}（第{scheme.version}版）"
    return render(request, "assessment.html", {
        "schemes": [s for s in schemes if s.office_id == actor.office_id] if actor.is_admin else schemes,
        "results": results, "scheme_names": names, "status_labels": RESULT_STATUS_LABELS,
        "typed": typed or {"period_start": f"{today.year - 1}-01-01", "period_end": f"{today.year - 1}-12-31"},
        "error": error, "show": service.show,
    }, status_code=422 if error else 200)


# --- schemes ---------------------------------------------------------------------


def _form_values(form) -> dict:
    """The scheme as typed: one item per kind (a weight of 0 leaves it out), grades by row."""
    items = []
    for kind, k in service.KINDS.items():
        items.append({
            "kind": kind, "key": kind, "name": str(form.get(f"name_{kind}") or ""),
            "weight": str(form.get(f"weight_{kind}") or "0").strip() or "0",
            "params": {p: str(form.get(f"param_{kind}_{p}") or "") for p in k.params},
        })
    grades = [[str(form.get(f"grade_name_{n}") or ""), str(form.get(f"grade_min_{n}") or "0").strip() or "0"]
              for n in range(1, GRADE_ROWS + 1) if str(form.get(f"grade_name_{n}") or "").strip()]
    return {"name": form.get("name"), "year": form.get("year"), "plan_id": form.get("plan_id") or None,
            "total": form.get("total"), "items": items, "grades": grades}


def _typed_from(scheme) -> dict:
    """The form's values for a stored scheme (the first item of each kind)."""
    typed = {"name": scheme.name, "year": scheme.year or "", "plan_id": scheme.plan_id or "",
             "total": service.show(scheme.total)}
    for item in reversed(scheme.items):
        typed[f"weight_{item['kind']}"] = service.show(Decimal(item["weight"]))
        typed[f"name_{item['kind']}"] = item["name"]
        for p, v in (item.get("params") or {}).items():
            typed[f"param_{item['kind']}_{p}"] = service.show(Decimal(v))
    for n, (name, minimum) in enumerate(scheme.grades, start=1):
        typed[f"grade_name_{n}"], typed[f"grade_min_{n}"] = name, service.show(Decimal(minimum))
    return typed


def _default_typed() -> dict:
    typed = {"name": "", "year": "", "plan_id": "", "total": "100"}
    for item in service.default_items():
        typed[f"weight_{item['kind']}"] = item["weight"]
        typed[f"name_{item['kind']}"] = item["name"]
        for p, v in item["params"].items():
            typed[f"param_{item['kind']}_{p}"] = v
    for n, (name, minimum) in enumerate(service.DEFAULT_GRADES, start=1):
        typed[f"grade_name_{n}"], typed[f"grade_min_{n}"] = name, minimum
    return typed


def _scheme_page(request: Request, session: Session, actor: Actor, scheme, typed: dict, error: str | None = None):
    return render(request, "assessment_scheme.html", {
        "scheme": scheme, "typed": typed, "error": error, "kinds": service.KINDS, "plans": _plans(session, actor),
        "grade_rows": range(1, GRADE_ROWS + 1),
        "in_use": scheme is not None and service.scheme_in_use(session, scheme.id),
        "may_edit": actor.is_admin and (scheme is None or (scheme.office_id == actor.office_id and not scheme.superseded)),
        "show": service.show, "Decimal": Decimal,
    }, status_code=422 if error else 200)


@router.get("/assessment/schemes/new")
def new_scheme(request: Request, actor: PageActorDep, session: SessionDep):
    actor.require_admin()
    return _scheme_page(request, session, actor, None, _default_typed())


@router.post("/assessment/schemes")
def create_scheme(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    actor.require_admin()
    form = request.state.form
    try:
        scheme = service.create_scheme(session, actor, _form_values(form), now=now)
        session.flush()
    except Forbidden:
        raise
    except DomainError as exc:
        session.rollback()
        return _scheme_page(request, session, actor, None, dict(form.items()), exc.message)
    return redirect(request, f"/assessment/schemes/{scheme.id}", "已保存考核方案")


@router.get("/assessment/schemes/{scheme_id}")
def scheme_page(request: Request, scheme_id: IdPath, actor: PageActorDep, session: SessionDep):
    scheme = service.get_scheme(session, actor, scheme_id)
    return _scheme_page(request, session, actor, scheme, _typed_from(scheme))


@router.post("/assessment/schemes/{scheme_id}")
def update_scheme(request: Request, scheme_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    try:
        scheme = service.update_scheme(session, actor, scheme_id, _form_values(form), now=now)
        session.flush()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        session.rollback()
        return _scheme_page(request, session, actor, service.get_scheme(session, actor, scheme_id),
                            dict(form.items()), exc.message)
    message = f"已保存为第{scheme.version}版（原版本已用于已发布的考核结果，保持不变）" if scheme.id != scheme_id else "已保存考核方案"
    return redirect(request, f"/assessment/schemes/{scheme.id}", message)


# --- results ----------------------------------------------------------------------


@router.post("/assessment/results")
def compute_result(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep,
                   settings: SettingsDep, source: CalendarSourceDep):
    form = request.state.form
    try:
        result = service.compute_result(
            session, actor, form_int(form.get("scheme_id"), 0), start=form.get("period_start"),
            end=form.get("period_end"), today=today, calendar=source.for_office(actor.office_id, now),
            tz=settings.tz, now=now,
        )
        session.flush()
    except Forbidden:
        raise
    except DomainError as exc:
        session.rollback()
        return _home(request, session, actor, today, typed=dict(form.items()), error=exc.message)
    return redirect(request, f"/assessment/results/{result.id}", "已计算考核得分，请核对后发布")


# Before the result's page: its path would take "5.xlsx" as the id.
@router.get("/assessment/results/{result_id}.xlsx")
def result_workbook(result_id: IdPath, actor: PageActorDep, session: SessionDep):
    view = service.result_view(session, actor, result_id)
    return download(result_xlsx(view), f"{title_of(view)}.xlsx", XLSX_TYPE)


@router.get("/assessment/results/{result_id}.docx")
def result_document(result_id: IdPath, actor: PageActorDep, session: SessionDep):
    view = service.result_view(session, actor, result_id)
    office = session.get(Office, view.result.office_id)
    return download(result_docx(view, office.name), f"{title_of(view)}通报.docx", DOCX_TYPE)


@router.get("/assessment/results/{result_id}")
def result_page(request: Request, result_id: IdPath, actor: PageActorDep, session: SessionDep):
    view = service.result_view(session, actor, result_id)
    office = session.get(Office, view.result.office_id)
    return render(request, "assessment_result.html", {
        "v": view, "title": title_of(view), "office": office, "status_labels": RESULT_STATUS_LABELS,
        "draft": view.result.status == RESULT_DRAFT, "entered_keys": [i for i in view.scheme.items
                                                                     if service.is_entered(i["kind"])],
        "show": service.show, "Decimal": Decimal,
    })


def _back(result_id: int) -> str:
    return f"/assessment/results/{result_id}"


@router.post("/assessment/results/{result_id}/recompute")
def recompute(request: Request, result_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep,
              today: TodayDep, settings: SettingsDep, source: CalendarSourceDep):
    return run_action(request, session, lambda: service.recompute(
        session, actor, result_id, today=today, calendar=source.for_office(actor.office_id, now), tz=settings.tz,
        now=now), ok="已按最新记录重新计算", back=_back(result_id))


@router.post("/assessment/results/{result_id}/entries")
def enter(request: Request, result_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    return run_action(request, session, lambda: service.set_entered(
        session, actor, result_id, department_id=form.get("department_id"), item_key=form.get("item_key"),
        amount=form.get("amount"), reason=form.get("reason"), evidence=form.get("evidence"), now=now),
        ok="已录入并记入操作记录", back=_back(result_id))


@router.post("/assessment/results/{result_id}/publish")
def publish(request: Request, result_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    change = confirmed(request, lambda: service.publish(
        session, actor, result_id, ranking_public=form.get("ranking_public") == "1", now=now), "发布")
    return run_action(request, session, change, ok="已发布考核结果，得分已固定", back=_back(result_id))


@router.post("/assessment/results/{result_id}/corrections")
def correct(request: Request, result_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    change = confirmed(request, lambda: service.correct(
        session, actor, result_id, department_id=form.get("department_id"), item_key=form.get("item_key"),
        new_points=form.get("points"), reason=form.get("reason"), now=now), "更正")
    return run_action(request, session, change, ok="已更正并记录", back=_back(result_id))
