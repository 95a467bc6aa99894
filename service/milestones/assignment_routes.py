"""The 督办件 API: the work list, batch 签收, progress reports and the office's reading of them."""

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from service.flows import chase
from service.dependencies import ActorDep, CalendarDep, IdPath, IdQuery, NowDep, PageQuery, SessionDep, SettingsDep, TodayDep
from service.ids import Id
from service.milestones import assignments as service
from service.milestones.service import is_overdue
from service.milestones.status import is_overdue as status_is_overdue
from service.plans.versions import SharedCache
from service.text import Text

router = APIRouter(tags=["assignments"])


class CurrentMilestoneOut(BaseModel):
    id: int
    due_date: date
    state: str
    overdue: bool


class LatestProgressOut(BaseModel):
    percent: int
    created_at: datetime


class AssignmentOut(BaseModel):
    id: int
    plan_id: int
    plan_title: str
    measure_id: int
    measure_text: str
    department_id: int
    role: str
    signed_at: datetime | None
    current_milestone: CurrentMilestoneOut | None
    milestones_total: int
    milestones_closed: int
    latest_progress: LatestProgressOut | None


class AssignmentPage(BaseModel):
    items: list[AssignmentOut]
    total: int


class AckIn(BaseModel):
    ids: list[Id] | None = Field(default=None, max_length=1000)
    plan_id: Id | None = None

    @model_validator(mode="after")
    def one_of(self):
        if (self.ids is None) == (self.plan_id is None):
            raise ValueError("请给出 ids 或 plan_id 之一")
        return self


class AckOut(BaseModel):
    signed: int


class ProgressIn(BaseModel):
    text: Text = Field(min_length=1, max_length=20000)
    percent: int = Field(ge=0, le=100)


class ProgressOut(BaseModel):
    id: int
    assignment_id: int
    author_id: int | None
    text: str
    percent: int
    created_at: datetime
    review: str | None
    review_comment: str | None


class ProgressReviewIn(BaseModel):
    decision: Literal["read", "more"]
    comment: Text | None = Field(default=None, max_length=5000)


def assignment_out(item: service.WorkItem, today: date) -> AssignmentOut:
    a = item.assignment
    current = item.current
    latest = item.latest_progress
    return AssignmentOut(
        id=a.id, plan_id=a.measure.plan_id, plan_title=a.measure.plan.title, measure_id=a.measure_id,
        measure_text=a.measure.text, department_id=a.department_id, role=a.role, signed_at=a.signed_at,
        current_milestone=None if current is None else CurrentMilestoneOut(
            id=current.id, due_date=current.due_date, state=current.state, overdue=is_overdue(current, today)
        ),
        milestones_total=len(item.milestones), milestones_closed=item.closed,
        latest_progress=None if latest is None else LatestProgressOut(percent=latest.percent, created_at=latest.created_at),
    )


def work_row_out(row: service.WorkRow, today: date) -> AssignmentOut:
    """The same answer as assignment_out, from a work list row."""
    current = row.current
    return AssignmentOut(
        id=row.id, plan_id=row.plan_id, plan_title=row.plan_title, measure_id=row.measure_id,
        measure_text=row.measure_text, department_id=row.department_id, role=row.role, signed_at=row.signed_at,
        current_milestone=None if current is None else CurrentMilestoneOut(
            id=current[0], due_date=current[1], state=current[2], overdue=status_is_overdue(current[2], current[1], today)
        ),
        milestones_total=len(row.milestones), milestones_closed=row.closed,
        latest_progress=None if row.latest_progress is None else LatestProgressOut(
            percent=row.latest_progress[0], created_at=row.latest_progress[1]
        ),
    )


def work_list_cache(request: Request) -> SharedCache:
    state = request.app.state
    if not hasattr(state, "work_lists"):
        state.work_lists = SharedCache(size=1024)
    return state.work_lists


@router.get("/assignments", response_model=AssignmentPage)
def list_assignments(
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    today: TodayDep,
    calendar: CalendarDep,
    plan_id: IdQuery = None,
    department_id: IdQuery = None,
    status: Literal["unsigned", "overdue", "due_soon", "returned", "awaiting_review", "done"] | None = None,
    q: str | None = Query(None, max_length=200),
    page: PageQuery = 1,
    per_page: int = Query(service.MAX_PER_PAGE, ge=1, le=service.MAX_PER_PAGE),
):
    """The 督办件 the caller may see (a department its own); archived plans only by their `plan_id`."""
    due_soon_until = calendar.add_workdays(today, service.DUE_SOON_WORKDAYS)

    def answer() -> bytes:
        rows, total = service.list_work_rows(
            session, actor, today=today, due_soon_until=due_soon_until,
            plan_id=plan_id, department_id=department_id, status=status, q=q, page=page, per_page=per_page,
        )
        # Serialized once by the model (as FastAPI would after validating it a second time).
        return AssignmentPage(items=[work_row_out(r, today) for r in rows], total=total).model_dump_json().encode()

    # The same page for the same reader, query and day until one of its plans changes (the
    # plans' versions are read first: a change committed meanwhile moves them).
    key = (actor.readable_office_ids, actor.department_id, today, due_soon_until, plan_id, department_id, status, q,
           page, per_page, service.work_list_plans(session, actor))
    return Response(work_list_cache(request).get(key, answer), media_type="application/json")


@router.get("/assignments/{assignment_id}", response_model=AssignmentOut)
def get_assignment(assignment_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep):
    return assignment_out(service.get_work_item(session, actor, assignment_id), today)


@router.post("/assignments/ack", response_model=AckOut)
def sign(body: AckIn, actor: ActorDep, session: SessionDep, now: NowDep):
    """Batch 签收 of the caller's items: the given `ids`, or all of one plan's (`plan_id`)."""
    return AckOut(signed=service.sign_batch(session, actor, ids=body.ids, plan_id=body.plan_id, now=now))


@router.get("/assignments/{assignment_id}/progress", response_model=list[ProgressOut])
def list_progress(assignment_id: IdPath, actor: ActorDep, session: SessionDep):
    assignment = service.get_assignment(session, actor, assignment_id)
    return [ProgressOut.model_validate(p, from_attributes=True) for p in service.progress_of(session, assignment)]


@router.post("/assignments/{assignment_id}/progress", response_model=ProgressOut, status_code=201)
def submit_progress(
    assignment_id: IdPath, body: ProgressIn, actor: ActorDep, session: SessionDep, now: NowDep, settings: SettingsDep
):
    """A progress report (进展报送): never changes a checkpoint's state."""
    report = service.submit_progress(
        session, actor, assignment_id, text=body.text, percent=body.percent, now=now,
        max_attachment_bytes=settings.attachment_max_bytes,
    )
    return ProgressOut.model_validate(report, from_attributes=True)


@router.post("/progress/{progress_id}/review", response_model=ProgressOut)
def review_progress(progress_id: IdPath, body: ProgressReviewIn, actor: ActorDep, session: SessionDep, now: NowDep):
    """The office's 已阅 (`read`) or 要求补充 (`more`, with a comment)."""
    report = service.review_progress(session, actor, progress_id, decision=body.decision, comment=body.comment, now=now)
    return ProgressOut.model_validate(report, from_attributes=True)


class ChaseIn(BaseModel):
    level: Literal["remind", "urge", "supervise"]


class ChaseBatchIn(ChaseIn):
    ids: list[Id] = Field(min_length=1, max_length=500)


class ChaseOut(BaseModel):
    chased: int
    skipped: int


@router.post("/assignments/chase", response_model=ChaseOut)
def chase_selected(body: ChaseBatchIn, actor: ActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    """Manual 催办 of selected items (office admins); items chased today already are skipped."""
    result = chase.chase_items(session, settings, actor, body.ids, level=body.level, now=now)
    return ChaseOut(chased=result.chased, skipped=result.skipped)


@router.post("/assignments/{assignment_id}/chase", response_model=ChaseOut)
def chase_item(assignment_id: IdPath, body: ChaseIn, actor: ActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    """Manual 提醒/催办/督办 of one item, sent now; a second chase the same day answers 429."""
    result = chase.chase_items(session, settings, actor, [assignment_id], level=body.level, now=now)
    return ChaseOut(chased=result.chased, skipped=result.skipped)


@router.post("/departments/{department_id}/chase", response_model=ChaseOut)
def chase_department(department_id: IdPath, body: ChaseIn, actor: ActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    """Manual 催办 of every open item of one unit in the office's active plans."""
    result = chase.chase_department(session, settings, actor, department_id, level=body.level, now=now)
    return ChaseOut(chased=result.chased, skipped=result.skipped)
