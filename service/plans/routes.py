import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from service.auth.actor import Actor
from service.dependencies import ActorDep, CalendarSourceDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.flows import activation, archival, plan_creation
from service.errors import DomainError, Invalid
from service.ids import Id
from service.indicators.routes import ParsedIndicator
from service.flows import drafting, importing
from service.plans import service
from service.plans.models import Measure, Phase, Plan
from service.text import TEXT_PATTERN, Line, Text, check_form, refuse_control_characters

router = APIRouter(tags=["plans"])


class ParsedMeasure(BaseModel):
    text: Text = Field(min_length=1, max_length=20000)
    lead: list[Line] = Field(default_factory=list, max_length=200)
    support: list[Line] = Field(default_factory=list, max_length=200)
    deadline: date | None = None


class ParsedTask(BaseModel):
    number: Line | int | None = None
    title: Text = Field(min_length=1, max_length=20000)
    section: Text | None = Field(default=None, max_length=2000)
    mandatory: bool | None = None
    measures: list[ParsedMeasure] = Field(default_factory=list, max_length=2000)


class ParsedPhase(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    deadline: date


class PlanIn(BaseModel):
    """The shape `duban plan parse` prints."""

    title: Text = Field(min_length=1, max_length=500)
    doc_number: Line | None = Field(default=None, max_length=100)
    issuer: Line | None = Field(default=None, max_length=200)
    issued_date: date | None = None
    phases: list[ParsedPhase] = Field(default_factory=list, max_length=100)
    tasks: list[ParsedTask] = Field(default_factory=list, max_length=2000)
    measures_outside_tasks: list[ParsedMeasure] = Field(default_factory=list, max_length=2000)
    indicators: list[ParsedIndicator] = Field(default_factory=list, max_length=2000)


class PlanSummary(BaseModel):
    id: int
    office_id: int
    title: str
    doc_number: str | None
    status: str
    issued_date: date | None
    period_end: date | None


class PlanCreated(PlanSummary):
    matched_departments: list[str]
    unmatched_departments: list[str]


class ActivateIn(BaseModel):
    expand_groups: bool = False


class ActivateOut(BaseModel):
    milestones_created: int


class ArchiveOut(PlanSummary):
    # Not yet approved: archiving leaves them as they are, without reminders.
    unfinished_milestones: int


def plan_summary(plan: Plan) -> dict[str, Any]:
    return PlanSummary.model_validate(plan, from_attributes=True).model_dump()


def measure_out(m: Measure) -> dict[str, Any]:
    return {
        "id": m.id,
        "text": m.text,
        "deadline": m.deadline,
        "assignments": [{"id": a.id, "department_id": a.department_id, "role": a.role} for a in m.assignments],
    }


def plan_tree(plan: Plan) -> dict[str, Any]:
    return plan_summary(plan) | {
        "phases": [{"id": p.id, "name": p.name, "deadline": p.deadline} for p in plan.phases],
        "sections": [{"id": s.id, "title": s.title} for s in plan.sections],
        "tasks": [
            {
                "id": t.id,
                "number": t.number,
                "title": t.title,
                "section_id": t.section_id,
                "mandatory": t.mandatory,
                "measures": [measure_out(m) for m in plan.measures if m.task_id == t.id],
            }
            for t in plan.tasks
        ],
        "measures_outside_tasks": [measure_out(m) for m in plan.measures if m.task_id is None],
    }


@router.get("/plans", response_model=list[PlanSummary])
def list_plans(actor: ActorDep, session: SessionDep, status: Literal["draft", "active", "archived"] | None = None):
    statuses = None if status is None else [status]
    return [plan_summary(p) for p in service.list_plans(session, actor, statuses=statuses)]


@router.post("/plans", response_model=PlanCreated, status_code=201)
def create_plan(body: PlanIn, actor: ActorDep, session: SessionDep, now: NowDep):
    created = plan_creation.create_plan_from_parsed(session, actor, body.model_dump(mode="json"), now=now)
    return plan_summary(created.plan) | {
        "matched_departments": created.matched_departments,
        "unmatched_departments": created.unmatched_departments,
    }


@router.get("/plans/{plan_id}")
def get_plan(plan_id: IdPath, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return plan_tree(service.get_plan(session, actor, plan_id))


@router.post("/plans/{plan_id}/activate", response_model=ActivateOut)
def activate_plan(
    plan_id: IdPath,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    source: CalendarSourceDep,
    settings: SettingsDep,
    body: ActivateIn | None = None,
):
    created = activation.activate_plan(
        session,
        actor,
        plan_id,
        now=now,
        # Only the owning office's admin activates: its workdays, local days included.
        calendar=source.for_office(actor.office_id, now),
        support_lead_workdays=settings.support_lead_workdays,
        expand_groups=bool(body and body.expand_groups),
    )
    return ActivateOut(milestones_created=created)


@router.post("/plans/{plan_id}/archive", response_model=ArchiveOut)
def archive_plan(plan_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """归档: no more reminders or workflow actions; the plan stays readable."""
    plan, unfinished = archival.archive_plan(session, actor, plan_id, now=now)
    return plan_summary(plan) | {"unfinished_milestones": unfinished}


@router.post("/plans/{plan_id}/restore", response_model=ArchiveOut)
def restore_plan(plan_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """An archived plan back to active; the next scan resumes its reminders."""
    plan, unfinished = archival.restore_plan(session, actor, plan_id, now=now)
    return plan_summary(plan) | {"unfinished_milestones": unfinished}


class UnsupportedMediaType(DomainError):
    status_code = 415


@dataclass
class ImportUpload:
    data: bytes | None = None
    filename: str | None = None
    text: str | None = None


# Room for the multipart boundaries and headers, or the JSON quoting, around the document.
_ENVELOPE_BYTES = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _capped_body(request: Request, limit: int):
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise importing.TooLarge(f"文件太大：上限为 {(limit - _ENVELOPE_BYTES) / (1024 * 1024):.0f} MB")
        yield chunk


async def read_import_upload(request: Request, settings: SettingsDep) -> ImportUpload:
    """A multipart `file` or a JSON `{"text"}`, read no further than the size limit allows."""
    limit = settings.import_max_bytes + _ENVELOPE_BYTES
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await MultiPartParser(request.headers, _capped_body(request, limit), max_files=1, max_fields=10).parse()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("请在表单字段 file 中上传计划文件")
        check_form([("file", upload)])
        return ImportUpload(data=await upload.read(), filename=upload.filename or "upload.txt")
    if content_type.startswith("application/json"):
        body = b"".join([chunk async for chunk in _capped_body(request, limit)])
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Invalid("请求体不是合法的 JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise Invalid("JSON 请求体必须是 {\"text\": \"计划正文\"}")
        refuse_control_characters("text", payload["text"])
        return ImportUpload(text=payload["text"])
    raise UnsupportedMediaType("请用 multipart/form-data 上传文件，或用 application/json 提交 {\"text\"}")


class ImportOut(BaseModel):
    plan: PlanSummary
    preview: dict[str, Any]


class MappingIn(BaseModel):
    mapping: dict[Line, Id | None] = Field(max_length=1000)


class MeasureUpdate(BaseModel):
    text: Text | None = Field(default=None, min_length=1, max_length=20000)
    deadline: date | None = None
    lead: list[Id] | None = Field(default=None, max_length=200)
    support: list[Id] | None = Field(default=None, max_length=200)
    late_reason: Text | None = Field(default=None, max_length=5000, description="a measure carrying out an issued item")


@router.post(
    "/plans/import",
    response_model=ImportOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"text": {"type": "string", "pattern": TEXT_PATTERN}}}
                },
            }
        }
    },
)
def import_plan(
    actor: ActorDep,
    upload: Annotated[ImportUpload, Depends(read_import_upload)],
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    allow_duplicate: bool = False,
):
    """409 when the office imported the same document before, unless `allow_duplicate`."""
    result = importing.import_plan(
        session, actor, data=upload.data, filename=upload.filename, text=upload.text, now=now,
        limits=importing.ImportLimits.from_settings(settings), allow_duplicate=allow_duplicate,
    )
    return {"plan": plan_summary(result.plan), "preview": result.preview.to_dict()}


@router.get("/plans/{plan_id}/import-preview")
def import_preview(plan_id: IdPath, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return importing.preview_for(session, actor, plan_id).to_dict()


@router.post("/plans/{plan_id}/department-mapping")
def department_mapping(plan_id: IdPath, body: MappingIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return importing.apply_department_mapping(session, actor, plan_id, body.mapping, now=now).to_dict()


@router.patch("/plans/{plan_id}/measures/{measure_id}")
def update_measure(
    plan_id: IdPath, measure_id: IdPath, body: MeasureUpdate, actor: ActorDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    return measure_out(service.update_measure(session, actor, plan_id, measure_id, values, now=now))


class AssignIn(BaseModel):
    """Measures by id, all measures of some tasks, or all measures (`all`)."""

    measure_ids: list[int] = Field(default_factory=list, max_length=5000)
    task_ids: list[int] = Field(default_factory=list, max_length=2000)
    all: bool = False
    lead: list[int] = Field(min_length=1, max_length=200)
    support: list[int] = Field(default_factory=list, max_length=200)
    deadline: date | None = None


class AssignOut(BaseModel):
    measures_changed: int


class PhaseIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    deadline: date


@router.post("/plans/{plan_id}/assignments", response_model=AssignOut)
def assign_measures(plan_id: IdPath, body: AssignIn, actor: ActorDep, session: SessionDep, now: NowDep):
    """The same lead and support units (and deadline) for many measures of a draft at once."""
    changed = drafting.assign_measures(
        session, actor, plan_id, body.measure_ids, task_ids=body.task_ids, every=body.all,
        lead=body.lead, support=body.support, deadline=body.deadline, now=now,
    )
    return AssignOut(measures_changed=changed)


@router.delete("/plans/{plan_id}", status_code=204, response_class=Response)
def delete_draft(plan_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep) -> Response:
    """Only a draft can be deleted; an active or archived plan is archived instead."""
    drafting.delete_draft(session, actor, plan_id, now=now)
    return Response(status_code=204)


@router.get("/plans/{plan_id}/readiness")
def readiness(plan_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep) -> dict[str, Any]:
    """What keeps a draft from activation (`blockers`, by page anchor) and what is worth a look (`notices`)."""
    plan = service.get_editable_draft(session, actor, plan_id)
    return {
        "blockers": [
            {"message": b.message, "anchor": b.anchor, "measure_ids": list(b.measure_ids)}
            for b in service.activation_blockers(session, plan)
        ],
        "notices": [asdict(n) for n in drafting.readiness_notices(session, plan, today)],
    }


def phase_out(phase: Phase) -> dict[str, Any]:
    return {"id": phase.id, "position": phase.position, "name": phase.name, "deadline": phase.deadline}


@router.post("/plans/{plan_id}/phases", status_code=201)
def add_phase(plan_id: IdPath, body: PhaseIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return phase_out(drafting.add_phase(session, actor, plan_id, body.name, body.deadline, now=now))


@router.put("/plans/{plan_id}/phases/{phase_id}")
def update_phase(
    plan_id: IdPath, phase_id: IdPath, body: PhaseIn, actor: ActorDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    return phase_out(drafting.update_phase(session, actor, plan_id, phase_id, body.name, body.deadline, now=now))


@router.delete("/plans/{plan_id}/phases/{phase_id}", status_code=204, response_class=Response)
def delete_phase(plan_id: IdPath, phase_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep) -> Response:
    drafting.delete_phase(session, actor, plan_id, phase_id, now=now)
    return Response(status_code=204)


def task_table_response(session: Session, actor: Actor, plan_id: int) -> Response:
    """The plan's 分工表 as a download, for whoever may read the plan (API and web alike)."""
    plan, data = importing.export_task_table(session, actor, plan_id)
    filename = f"{plan.title[:80]}-分工表.xlsx"
    disposition = f"attachment; filename=\"plan-{plan.id}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})


@router.get("/plans/{plan_id}/task-table.xlsx", response_class=Response)
def task_table(plan_id: IdPath, actor: ActorDep, session: SessionDep) -> Response:
    return task_table_response(session, actor, plan_id)


class ReportingCycleIn(BaseModel):
    cycle: Literal["none", "weekly", "monthly", "quarterly"]
    day: int | None = Field(default=None, ge=1, le=28, description="monthly: the day of the month the report is owed by")


class ReportingCycleOut(BaseModel):
    plan_id: int
    cycle: str
    day: int | None


@router.put("/plans/{plan_id}/reporting-cycle", response_model=ReportingCycleOut)
def set_reporting_cycle(plan_id: IdPath, body: ReportingCycleIn, actor: ActorDep, session: SessionDep, now: NowDep):
    """How often each open 督办件 owes a progress report (进展报送)."""
    plan = service.set_reporting_cycle(session, actor, plan_id, cycle=body.cycle, day=body.day, now=now)
    return ReportingCycleOut(plan_id=plan.id, cycle=plan.reporting_cycle, day=plan.reporting_day)


class MandatoryIn(BaseModel):
    mandatory: bool | None = Field(description="必做 true, 选做 false, null where the plan does not say")


@router.put("/plans/{plan_id}/tasks/{task_id}/mandatory")
def set_task_mandatory(
    plan_id: IdPath, task_id: IdPath, body: MandatoryIn, actor: ActorDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    """必做/选做 of a draft's task: optional tasks are offered to child offices, not issued."""
    task = service.set_task_mandatory(session, actor, plan_id, task_id, body.mandatory, now=now)
    return {"task_id": task.id, "mandatory": task.mandatory}


class ChoiceDeadlineIn(BaseModel):
    choice_deadline: date | None


@router.put("/plans/{plan_id}/choice-deadline")
def set_choice_deadline(plan_id: IdPath, body: ChoiceDeadlineIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    """选做申报截止日期: the last day child offices choose optional tasks without the office's approval."""
    plan = service.set_choice_deadline(session, actor, plan_id, body.choice_deadline, now=now)
    return {"plan_id": plan.id, "choice_deadline": plan.choice_deadline}
