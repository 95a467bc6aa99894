"""The import review page, where a draft is made ready: what still blocks
activation, the phases, units for many measures at once; its forms re-render
with what was typed and the error beside the field."""

from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.flows.directory import list_departments
from service.dependencies import IdPath, NowDep, SessionDep, TodayDep
from service.errors import DomainError, Forbidden, NotFound
from service.flows.drafting import (
    FieldInvalid,
    Notice,
    add_phase,
    assign_measures,
    delete_phase,
    plan_unit_choices,
    readiness_notices,
    resolve_units,
    update_phase,
)
from service.pinyin import pinyin_key
from service.flows.importing import preview_for
from service.plans.service import activation_blockers, get_editable_draft, get_plan, update_measure
from service.web.actions import form_int, run_action
from service.web.dashboard import measure_labels
from service.web.lookups import department_names
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()


def notice_href(notice: Notice) -> str:
    if notice.department_id is not None:
        return f"/departments/{notice.department_id}"
    return f"#phase-{notice.phase_id}" if notice.phase_id is not None else f"#measure-{notice.measure_id}"


def task_groups(labelled: list[tuple]) -> list[tuple[object, list[tuple]]]:
    """(task or None, [(measure, label)]) in document order, so measures show under their task's heading."""
    groups: list[tuple[object, list[tuple]]] = []
    for measure, label in labelled:
        if not groups or groups[-1][0] is not measure.task:
            groups.append((measure.task, []))
        groups[-1][1].append((measure, label))
    return groups


def review_page(
    request: Request,
    session: Session,
    actor: Actor,
    plan_id: int,
    today: date,
    *,
    typed: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
):
    """The review page; after a refused form, with what was typed (`typed`, by form)
    and the messages (`errors`, by form and field)."""
    actor.require_admin()
    draft = get_plan(session, actor, plan_id)
    preview = preview_for(session, actor, draft.id)
    labelled = measure_labels(draft, {t.id: t.number for t in draft.tasks})
    return render(
        request,
        "import.html",
        {
            "step": "review",
            "plan": draft,
            "preview": preview,
            "names": department_names(session, actor),
            "directory": sorted(
                (d for d in list_departments(session, actor, confirmed=True) if d.office_id == actor.office_id),
                key=lambda d: pinyin_key(d.name),
            ),
            "groups": task_groups(labelled),
            "labels": {m.id: label for m, label in labelled},
            "blockers": activation_blockers(session, draft),
            "notices": readiness_notices(session, draft, today),
            "notice_href": notice_href,
            "choices": plan_unit_choices(session, draft),
            "typed": typed or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _refused(request, session, actor, plan_id, today, form: str, typed: dict, exc: DomainError, field: str | None = None):
    if isinstance(exc, (NotFound, Forbidden)):
        raise exc
    session.rollback()
    key = getattr(exc, "field", None) or field or "form"
    return review_page(
        request, session, actor, plan_id, today,
        typed={form: typed}, errors={form: {key: exc.message}}, status_code=exc.status_code,
    )


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldInvalid(field, "日期应为 年-月-日，例如 2026-06-30") from None


@router.post("/plans/{plan_id}/assign")
def assign(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep):
    form = request.state.form
    typed = {
        "lead": str(form.get("lead") or "").strip(),
        "support": str(form.get("support") or "").strip(),
        "deadline": str(form.get("deadline") or "").strip(),
        "measures": [i for v in form.getlist("measure") if (i := form_int(v)) is not None],
        "tasks": [i for v in form.getlist("task") if (i := form_int(v)) is not None],
        "every": form.get("every") == "1",
    }
    errors: dict[str, str] = {}
    try:
        plan = get_editable_draft(session, actor, plan_id)
        choices = plan_unit_choices(session, plan)
        resolved = {}
        for field, parse in (
            ("lead", lambda: resolve_units(choices, typed["lead"], "lead")),
            ("support", lambda: resolve_units(choices, typed["support"], "support")),
            ("deadline", lambda: _date(typed["deadline"], "deadline")),
        ):
            try:
                resolved[field] = parse()
            except FieldInvalid as exc:
                errors[exc.field] = exc.message
        if errors:
            return review_page(
                request, session, actor, plan_id, today,
                typed={"assign": typed}, errors={"assign": errors}, status_code=422,
            )
        count = assign_measures(
            session, actor, plan_id, typed["measures"], task_ids=typed["tasks"], every=typed["every"],
            lead=resolved["lead"], support=resolved["support"], deadline=resolved["deadline"], now=now,
        )
    except DomainError as exc:
        return _refused(request, session, actor, plan_id, today, "assign", typed, exc)
    return redirect(request, f"/plans/import?plan={plan_id}#measures", f"已为 {count} 条措施分配单位")


def _phase_form(request: Request) -> dict:
    form = request.state.form
    return {"name": str(form.get("name") or "").strip(), "deadline": str(form.get("deadline") or "").strip()}


@router.post("/plans/{plan_id}/phases")
def new_phase(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep):
    typed = _phase_form(request)
    try:
        add_phase(session, actor, plan_id, typed["name"], typed["deadline"], now=now)
    except DomainError as exc:
        return _refused(request, session, actor, plan_id, today, "phase-new", typed, exc)
    return redirect(request, f"/plans/import?plan={plan_id}#phases", f"已添加阶段“{typed['name']}”")


@router.post("/plans/{plan_id}/phases/{phase_id}")
def edit_phase(
    request: Request, plan_id: IdPath, phase_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep
):
    typed = _phase_form(request)
    try:
        update_phase(session, actor, plan_id, phase_id, typed["name"], typed["deadline"], now=now)
    except DomainError as exc:
        return _refused(request, session, actor, plan_id, today, f"phase-{phase_id}", typed, exc)
    return redirect(request, f"/plans/import?plan={plan_id}#phases", "阶段已修改")


@router.post("/plans/{plan_id}/phases/{phase_id}/delete")
def remove_phase(request: Request, plan_id: IdPath, phase_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(
        request, session, lambda: delete_phase(session, actor, plan_id, phase_id, now=now),
        ok="阶段已删除", back=f"/plans/import?plan={plan_id}#phases",
    )


@router.post("/plans/{plan_id}/measures/{measure_id}")
def edit_measure(
    request: Request, plan_id: IdPath, measure_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, today: TodayDep
):
    form = request.state.form
    typed = {key: str(form.get(key) or "").strip() for key in ("text", "deadline", "lead", "support", "late_reason")}
    errors: dict[str, str] = {}
    try:
        choices = plan_unit_choices(session, get_editable_draft(session, actor, plan_id))
        values: dict = {"text": typed["text"]}
        if "late_reason" in form:  # shown for a measure carrying out a parent's 督办件 only
            values["late_reason"] = typed["late_reason"]
        for field, parse in (
            ("deadline", lambda: _date(typed["deadline"], "deadline")),
            ("lead", lambda: resolve_units(choices, typed["lead"], "lead")),
            ("support", lambda: resolve_units(choices, typed["support"], "support")),
        ):
            try:
                values[field] = parse()
            except FieldInvalid as exc:
                errors[exc.field] = exc.message
        if errors:
            key = f"measure-{measure_id}"
            return review_page(
                request, session, actor, plan_id, today, typed={key: typed}, errors={key: errors}, status_code=422
            )
        update_measure(session, actor, plan_id, measure_id, values, now=now)
    except DomainError as exc:
        # What the service refuses once the units and date are read is the text.
        return _refused(request, session, actor, plan_id, today, f"measure-{measure_id}", typed, exc, field="text")
    return redirect(request, f"/plans/import?plan={plan_id}#measure-{measure_id}", "措施已修改")
