from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from service.dependencies import ActorDep, IdPath, IdQuery, NowDep, OffsetQuery, SessionDep, SettingsDep, TodayDep
from service.milestones import service
from service.milestones.models import ExtensionRequest, Milestone, Review
from service.text import Text

router = APIRouter(tags=["milestones"])


class MilestoneOut(BaseModel):
    id: int
    measure_id: int
    plan_id: int
    department_id: int
    role: str
    phase: str | None
    due_date: date
    due_version: int
    state: str
    overdue: bool
    acknowledged_at: datetime | None
    submitted_at: datetime | None
    approved_at: datetime | None


class MilestonePage(BaseModel):
    items: list[MilestoneOut]
    total: int
    limit: int
    offset: int


class ReportIn(BaseModel):
    text: Text = Field(min_length=1, max_length=20000)
    percent: int = Field(ge=0, le=100)


class ReportOut(BaseModel):
    id: int
    milestone_id: int
    author_id: int | None
    text: str
    percent: int
    created_at: datetime


class ReviewIn(BaseModel):
    decision: Literal["approve", "return"]
    comment: Text | None = Field(default=None, max_length=5000)
    # 通过 of a 办结申请 below 100 % must be confirmed (else 409).
    confirm_below_100: bool = False


class ReviewOut(BaseModel):
    id: int
    milestone_id: int
    decision: str
    comment: str | None
    created_at: datetime


class ExtensionIn(BaseModel):
    new_due_date: date
    reason: Text = Field(min_length=1, max_length=5000)


class ExtensionDecisionIn(BaseModel):
    approve: bool
    comment: Text | None = Field(default=None, max_length=5000)


class ExtensionOut(BaseModel):
    id: int
    milestone_id: int
    current_due_date: date
    new_due_date: date
    reason: str
    status: str
    decision_comment: str | None
    created_at: datetime


class ReopenIn(BaseModel):
    comment: Text = Field(min_length=1, max_length=5000)


class MilestoneDetail(MilestoneOut):
    reports: list[ReportOut]
    contributions: list[ReportOut]


def milestone_out(milestone: Milestone, today: date) -> MilestoneOut:
    return MilestoneOut(
        id=milestone.id,
        measure_id=milestone.assignment.measure_id,
        plan_id=milestone.plan_id,
        department_id=milestone.department_id,
        role=milestone.assignment.role,
        phase=milestone.phase.name if milestone.phase else None,
        due_date=milestone.due_date,
        due_version=milestone.due_version,
        state=milestone.state,
        overdue=service.is_overdue(milestone, today),
        acknowledged_at=milestone.acknowledged_at,
        submitted_at=milestone.submitted_at,
        approved_at=milestone.approved_at,
    )


def _out(model, obj):
    return model.model_validate(obj, from_attributes=True)


@router.get("/milestones", response_model=MilestonePage)
def list_milestones(
    actor: ActorDep,
    session: SessionDep,
    today: TodayDep,
    department_id: IdQuery = None,
    plan_id: IdQuery = None,
    state: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    include_archived: bool = False,
    limit: int = Query(50, ge=1, le=500),
    offset: OffsetQuery = 0,
):
    """Archived plans' milestones only with `include_archived` or their `plan_id`."""
    items, total = service.list_milestones(
        session, actor, today=today, department_id=department_id, plan_id=plan_id, state=state,
        overdue=overdue, due_before=due_before, include_archived=include_archived, limit=limit, offset=offset,
    )
    return MilestonePage(items=[milestone_out(m, today) for m in items], total=total, limit=limit, offset=offset)


@router.get("/milestones/{milestone_id}", response_model=MilestoneDetail)
def get_milestone(milestone_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep):
    milestone = service.get_milestone(session, actor, milestone_id)
    return MilestoneDetail(
        **milestone_out(milestone, today).model_dump(),
        reports=[_out(ReportOut, r) for r in service.reports_of(session, milestone)],
        contributions=[_out(ReportOut, r) for _, r in service.contributions_for(session, milestone)],
    )


@router.post("/milestones/{milestone_id}/ack", response_model=MilestoneOut)
def acknowledge(milestone_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep, today: TodayDep):
    return milestone_out(service.acknowledge(session, actor, milestone_id, now=now), today)


@router.post("/milestones/{milestone_id}/reports", response_model=ReportOut, status_code=201)
def submit_report(
    milestone_id: IdPath, body: ReportIn, actor: ActorDep, session: SessionDep, now: NowDep, settings: SettingsDep
):
    report = service.submit_report(
        session, actor, milestone_id, text=body.text, percent=body.percent, now=now,
        max_attachment_bytes=settings.attachment_max_bytes,
    )
    return _out(ReportOut, report)


@router.post("/milestones/{milestone_id}/review", response_model=ReviewOut)
def review(milestone_id: IdPath, body: ReviewIn, actor: ActorDep, session: SessionDep, now: NowDep):
    entry: Review = service.review(
        session, actor, milestone_id, decision=body.decision, comment=body.comment, now=now,
        confirm_below_100=body.confirm_below_100,
    )
    return _out(ReviewOut, entry)


@router.post("/milestones/{milestone_id}/reopen", response_model=MilestoneOut)
def reopen(milestone_id: IdPath, body: ReopenIn, actor: ActorDep, session: SessionDep, now: NowDep, today: TodayDep):
    return milestone_out(service.reopen(session, actor, milestone_id, comment=body.comment, now=now), today)


@router.post("/milestones/{milestone_id}/extension-requests", response_model=ExtensionOut, status_code=201)
def request_extension(milestone_id: IdPath, body: ExtensionIn, actor: ActorDep, session: SessionDep, now: NowDep):
    request: ExtensionRequest = service.request_extension(
        session, actor, milestone_id, new_due_date=body.new_due_date, reason=body.reason, now=now
    )
    return _out(ExtensionOut, request)


@router.get("/extension-requests", response_model=list[ExtensionOut])
def list_extension_requests(
    actor: ActorDep, session: SessionDep, status: str | None = "pending", include_archived: bool = False
):
    requests = service.list_extension_requests(session, actor, status=status, include_archived=include_archived)
    return [_out(ExtensionOut, r) for r in requests]


@router.post("/extension-requests/{request_id}/decision", response_model=ExtensionOut)
def decide_extension(request_id: IdPath, body: ExtensionDecisionIn, actor: ActorDep, session: SessionDep, now: NowDep):
    request = service.decide_extension(
        session, actor, request_id, approve=body.approve, comment=body.comment, now=now
    )
    return _out(ExtensionOut, request)



