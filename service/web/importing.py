"""Plan import: paste or upload, check the preview, map departments, correct measures, activate."""

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from service.dependencies import IdPath, IdQuery, NowDep, SessionDep, TodayDep
from service.errors import DomainError
from service.text import DOCUMENT_FIELDS
from service.flows.importing import ImportLimits, apply_department_mapping, import_plan
from service.plans.parser.reading import clean_text
from service.web.actions import form_int, run_action
from service.web.drafting import review_page
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
NEW_DEPARTMENT = "new"


@router.get("/plans/import")
def import_page(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep, plan: IdQuery = None):
    actor.require_admin()
    if plan is None:
        return render(request, "import.html", {"step": "upload"})
    return review_page(request, session, actor, plan, today)


@router.post("/plans/import", openapi_extra={DOCUMENT_FIELDS: ["text"]})
async def upload(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    document = form.get("document")
    text = clean_text(str(form.get("text") or ""))
    limits = ImportLimits.from_settings(request.app.state.settings)
    again = form.get("again") == "1"
    try:
        if isinstance(document, UploadFile) and document.filename:
            data = await document.read(limits.max_bytes + 1)
            result = import_plan(
                session, actor, data=data, filename=document.filename, now=now, limits=limits, allow_duplicate=again,
            )
        else:
            result = import_plan(
                session, actor, text=text if text.strip() else None, now=now, limits=limits, allow_duplicate=again,
            )
    except DomainError as exc:
        session.rollback()
        context = {"step": "upload", "error": exc.message, "text": text, "duplicate_of": getattr(exc, "plan_id", None)}
        return render(request, "import.html", context, status_code=exc.status_code)
    preview = result.preview
    return redirect(
        request,
        f"/plans/import?plan={result.plan.id}",
        f"已解析：{preview.tasks} 项任务、{preview.measures} 条措施、{preview.phases} 个阶段；"
        f"{len(preview.unmatched)} 个单位待匹配",
    )


@router.post("/plans/{plan_id}/mapping")
def mapping(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    chosen: dict[str, int | None] = {}
    for key, name in form.multi_items():
        if not key.startswith("name-"):
            continue
        value = str(form.get("map-" + key[5:]) or "")
        if value == NEW_DEPARTMENT:
            chosen[str(name)] = None
        elif form_int(value) is not None:
            chosen[str(name)] = form_int(value)
    return run_action(
        request, session, lambda: apply_department_mapping(session, actor, plan_id, chosen, now),
        ok=f"已处理 {len(chosen)} 个单位名称", back=f"/plans/import?plan={plan_id}",
    )
