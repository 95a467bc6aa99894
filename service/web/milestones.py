"""A department's pages: the inbox, one milestone with its history, and its forms."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from notifiers import CHANNEL_LABELS, mask_target
from service.auth.models import User
from service.delivery.models import Notification
from service.departments.models import Department
from service.dependencies import IdPath, NowDep, SessionDep, SettingsDep
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.milestones import service as workflow
from service.milestones.assignments import AttachmentUpload, acts_for
from service.milestones.models import ExtensionRequest, Review
from service.plans.models import PLAN_ARCHIVED
from service.reminders.policy import COLOUR_NAMES, LEVELS, step_label
from service.reminders.service import notices_about
from service.web.actions import Refused, form_int, refusal, run_action
from service.web.directory import STATUS_LABELS
from service.web.lookups import department_names, load_milestones
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()

MAX_ATTACHMENTS = 5
# Office documents, PDFs, images and archives; nothing a browser would run.
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".wps": "application/vnd.ms-works",
    ".ofd": "application/ofd",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
}


NOTICE_LABELS = {
    "assignment": "交办通知", "returned": "退回通知", "extension_decided": "延期审批结果",
    "progress_more": "要求补充通知",
    "early_warning": "进度预警", "progress_request": "进展催报",
}
SENT_NOTICES_SHOWN = 200


def notice_label(step: str | None, kind: str) -> str:
    """A reminder's step, or what a notice without one is (交办通知, 退回, …)."""
    return step_label(step) if step else NOTICE_LABELS.get(kind, kind)


@dataclass(frozen=True)
class SentNotice:
    notification: Notification
    level: str | None
    step: str
    channel: str


def sent_notices(session, actor, milestone) -> list[SentNotice]:
    """The reminders and notices that named this milestone, newest first, as shown."""
    rows = notices_about(session, actor, milestone, limit=SENT_NOTICES_SHOWN * 5)
    found = []
    for n in rows:
        item = next((i for i in (n.event or {}).get("items", []) if i.get("milestone_id") == milestone.id), None)
        if item is None:
            continue
        channel = CHANNEL_LABELS.get(n.channel_type, n.channel_type)
        found.append(SentNotice(
            n, item.get("level"), notice_label(item.get("step"), n.kind), f"{channel} {mask_target(n.channel_type, n.target)}"
        ))
    return found[:SENT_NOTICES_SHOWN]


@router.get("/milestones/{milestone_id}")
def milestone_page(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep):
    return _page(request, session, actor, milestone_id)


def _page(request: Request, session, actor, milestone_id: int, *, refused: "Refused | None" = None):
    """The milestone page; after a refused form, with what the user typed and the reason beside that form (422)."""
    milestone = workflow.get_milestone(session, actor, milestone_id)
    milestone = load_milestones(session, [milestone.id])[milestone.id]
    names = department_names(session, actor)
    # Issued to the actor's office (上级交办): the parent's plan and its other units stay the parent's.
    plan_readable = milestone.assignment.measure.plan.office_id in actor.readable_office_ids
    if not plan_readable:
        names = {milestone.department_id: session.get(Department, milestone.department_id).name}
    reports = workflow.reports_of(session, milestone)
    reviews = list(session.scalars(select(Review).where(Review.milestone_id == milestone.id).order_by(Review.id)))
    extensions = list(
        session.scalars(
            select(ExtensionRequest).where(ExtensionRequest.milestone_id == milestone.id).order_by(ExtensionRequest.id)
        )
    )
    users = dict(session.execute(select(User.id, User.display_name)).all()) if reports or reviews else {}
    history = sorted(
        [("report", r.created_at, r) for r in reports]
        + [(f"review-{r.decision}", r.created_at, r) for r in reviews]
        + [("extension", e.created_at, e) for e in extensions],
        key=lambda item: item[1],
        reverse=True,
    )
    measure = milestone.assignment.measure
    # An archived plan's milestone is shown as a record, without any form.
    archived = measure.plan.status == PLAN_ARCHIVED
    return render(
        request,
        "milestone.html",
        {
            "m": milestone,
            "measure": measure,
            "names": names,
            "history": history,
            "users": users,
            "contributions": workflow.contributions_for(session, milestone),
            "last_report": reports[-1] if reports else None,
            "pending_extension": next((e for e in extensions if e.status == "pending"), None),
            "archived": archived,
            "plan_readable": plan_readable,
            # A unit's own user, or (上级交办) an admin of the child office the unit stands for.
            "own": acts_for(session, actor, milestone.department_id) and not archived,
            "can_review": actor.is_admin and actor.office_id == measure.plan.office_id and not archived,
            "accept": ",".join(ATTACHMENT_TYPES),
            "max_mb": request.app.state.settings.attachment_max_bytes // (1024 * 1024),
            "max_attachments": MAX_ATTACHMENTS,
            "notices": sent_notices(session, actor, milestone),
            "status_labels": STATUS_LABELS,
            "level_names": {level: COLOUR_NAMES[level] + name for level, name in LEVELS.items()},
            "refused": refused,
        },
        status_code=422 if refused else 200,
    )


def _refused(request: Request, session, actor, milestone_id: int, form: str, exc: DomainError, files: int = 0):
    return _page(request, session, actor, milestone_id, refused=refusal(request, session, form, exc, files_dropped=files))


@router.post("/milestones/{milestone_id}/ack")
def acknowledge(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    back = request.state.form.get("back") or f"/milestones/{milestone_id}"
    return run_action(
        request, session, lambda: workflow.acknowledge(session, actor, milestone_id, now=now),
        ok="已签收", back=back if back.startswith("/") and not back.startswith("//") else "/inbox",
    )


def chosen_attachments(request: Request) -> list[UploadFile]:
    return [f for f in request.state.form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]


async def read_uploads(request: Request, max_bytes: int) -> list[AttachmentUpload]:
    files = chosen_attachments(request)
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(f"最多上传 {MAX_ATTACHMENTS} 个附件")
    uploads = []
    for upload in files:
        suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        if suffix not in ATTACHMENT_TYPES:
            raise Invalid(f"附件 {upload.filename} 的类型不允许上传（允许：{'、'.join(ATTACHMENT_TYPES)}）")
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Invalid(f"附件 {upload.filename} 超过 {max_bytes // (1024 * 1024)} MB 上限")
        uploads.append(AttachmentUpload(upload.filename, ATTACHMENT_TYPES[suffix], data))
    return uploads


@router.post("/milestones/{milestone_id}/report")
async def report(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    form = request.state.form
    chosen = len(chosen_attachments(request))
    try:
        uploads = await read_uploads(request, settings.attachment_max_bytes)
        workflow.submit_report(
            session, actor, milestone_id, text=str(form.get("text") or ""), percent=form_int(form.get("percent"), -1),
            attachments=uploads, now=now, max_attachment_bytes=settings.attachment_max_bytes,
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        return _refused(request, session, actor, milestone_id, "report", exc, chosen)
    return redirect(request, f"/milestones/{milestone_id}", "办结申请已提交，等待办公室审核")


@router.post("/milestones/{milestone_id}/extension")
def request_extension(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    try:
        new_due = date.fromisoformat(str(form.get("new_due_date") or ""))
    except ValueError:
        return _refused(request, session, actor, milestone_id, "extension", Invalid("请选择新的完成时限", field="new_due_date"))
    try:
        workflow.request_extension(
            session, actor, milestone_id, new_due_date=new_due, reason=str(form.get("reason") or ""), now=now
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        return _refused(request, session, actor, milestone_id, "extension", exc)
    return redirect(request, f"/milestones/{milestone_id}", "延期申请已提交，等待办公室审批")


@router.get("/attachments/{attachment_id}")
def attachment(attachment_id: IdPath, actor: PageActorDep, session: SessionDep):
    found = workflow.get_attachment(session, actor, attachment_id)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
