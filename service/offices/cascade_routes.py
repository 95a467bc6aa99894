"""上下级联动 over the API: a child office's 上级交办 (list, 签收, 分解落实) and the parent's
row per child office for an issued measure. Progress reports and 办结申请 on an issued item
go through the 督办件 and milestone endpoints, the child's admins acting for its unit."""

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from service.dependencies import ActorDep, CalendarDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.flows import cascade, choices
from service.ids import Id
from service.milestones.service import is_overdue
from service.text import Line, Text

router = APIRouter(tags=["cascade"])


class CheckpointOut(BaseModel):
    id: int
    phase: str | None
    due_date: date
    state: str
    overdue: bool


class LinkedMeasureOut(BaseModel):
    id: int
    plan_id: int
    plan_title: str
    plan_status: str
    text: str
    deadline: date | None
    late_reason: str | None


class FiguresOut(BaseModel):
    measures: int
    checkpoints: int
    closed: int
    open: int
    overdue: int


class IssuedOut(BaseModel):
    assignment_id: int
    office_id: int
    office_name: str
    plan_title: str
    measure_id: int
    measure_text: str
    role: str
    signed_at: datetime | None
    due_by: date
    checkpoints: list[CheckpointOut]
    closed: bool
    overdue: bool
    latest_percent: int | None
    measures: list[LinkedMeasureOut]
    figures: FiguresOut


def issued_out(issued: cascade.Issued, today: date) -> IssuedOut:
    item, a = issued.item, issued.item.assignment
    f = issued.figures
    return IssuedOut(
        assignment_id=a.id, office_id=issued.office.id, office_name=issued.office.name,
        plan_title=a.measure.plan.title, measure_id=a.measure_id, measure_text=a.measure.text, role=a.role,
        signed_at=a.signed_at, due_by=issued.due_by,
        checkpoints=[
            CheckpointOut(id=m.id, phase=m.phase.name if m.phase else None, due_date=m.due_date, state=m.state,
                          overdue=is_overdue(m, today))
            for m in item.milestones
        ],
        closed=item.current is None, overdue=any(is_overdue(m, today) for m in item.milestones),
        latest_percent=item.latest_progress.percent if item.latest_progress else None,
        measures=[
            LinkedMeasureOut(id=m.id, plan_id=m.plan_id, plan_title=m.plan.title, plan_status=m.plan.status,
                             text=m.text, deadline=m.deadline, late_reason=m.late_reason)
            for m in issued.measures
        ],
        figures=FiguresOut(measures=f.measures, checkpoints=f.checkpoints, closed=f.closed, open=f.open, overdue=f.overdue),
    )


class SignOut(BaseModel):
    signed: int


class PhaseIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    deadline: date


class DecomposeIn(BaseModel):
    plan_id: Id | None = Field(default=None, description="an existing draft of the office")
    plan_title: Line | None = Field(default=None, min_length=1, max_length=500, description="or a new draft's title")
    phases: list[PhaseIn] = Field(default_factory=list, max_length=50)
    text: Text = Field(min_length=1, max_length=20000)
    deadline: date | None = None
    lead: list[Id] = Field(min_length=1, max_length=100)
    support: list[Id] = Field(default_factory=list, max_length=100)
    late_reason: Text | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def one_plan(self):
        if (self.plan_id is None) == (self.plan_title is None):
            raise ValueError("请给出 plan_id 或 plan_title 之一")
        return self


class DecomposeOut(BaseModel):
    measure_id: int
    plan_id: int


@router.get("/issued", response_model=list[IssuedOut])
def list_issued(actor: ActorDep, session: SessionDep, today: TodayDep):
    """上级交办: the parent offices' 督办件 issued to the caller's office (its admins)."""
    return [issued_out(i, today) for i in cascade.issued_to_office(session, actor, today=today)]


@router.get("/issued/{assignment_id}", response_model=IssuedOut)
def get_issued(assignment_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep):
    return issued_out(cascade.get_issued(session, actor, assignment_id, today=today), today)


@router.post("/issued/{assignment_id}/sign", response_model=SignOut)
def sign_issued(assignment_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """签收 of an issued item; 0 when it was signed already."""
    return SignOut(signed=cascade.sign_issued(session, actor, assignment_id, now=now))


@router.post("/issued/{assignment_id}/decompose", response_model=DecomposeOut, status_code=201)
def decompose(assignment_id: IdPath, body: DecomposeIn, actor: ActorDep, session: SessionDep, now: NowDep,
              calendar: CalendarDep, settings: SettingsDep):
    """分解落实 into a measure of the office's own draft or started plan (a deadline later than the
    parent's needs `late_reason`); in a started plan its units are given their 督办件 at once."""
    measure = cascade.decompose(
        session, actor, assignment_id, plan_id=body.plan_id, plan_title=body.plan_title,
        phases=[p.model_dump(mode="json") for p in body.phases], text=body.text, deadline=body.deadline,
        lead=body.lead, support=body.support, late_reason=body.late_reason, now=now,
        calendar=calendar, support_lead_workdays=settings.support_lead_workdays,
    )
    return DecomposeOut(measure_id=measure.id, plan_id=measure.plan_id)


@router.get("/measures/{measure_id}/issued", response_model=list[IssuedOut])
def issued_rows(measure_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep):
    """The parent's view of an issued measure: a row per child office."""
    return [issued_out(i, today) for i in cascade.issued_rows(session, actor, measure_id, today=today)]


class ShareOut(BaseModel):
    office_id: int
    office_name: str
    items: int
    signed: int
    decomposed: int
    closed: int
    overdue: int


@router.get("/plans/{plan_id}/issued", response_model=list[ShareOut])
def plan_shares(plan_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep):
    """Per child office, its share of the plan: items issued, signed, decomposed, closed, overdue."""
    return [
        ShareOut(office_id=s.office.id, office_name=s.office.name, items=s.items, signed=s.signed,
                 decomposed=s.decomposed, closed=s.closed, overdue=s.overdue)
        for s in cascade.plan_shares(session, actor, plan_id, today=today)
    ]


class OfferedOut(BaseModel):
    task_id: int
    task_number: str
    task_title: str
    plan_id: int
    plan_title: str
    office_name: str
    choice_deadline: date | None
    measures: list[str]
    taken: bool
    request: str | None
    request_reason: str | None
    refusal: str | None


def offered_out(o: choices.Offered) -> OfferedOut:
    c = o.choice
    return OfferedOut(
        task_id=o.task.id, task_number=o.task.number, task_title=o.task.title, plan_id=o.plan.id,
        plan_title=o.plan.title, office_name=o.parent.name, choice_deadline=o.plan.choice_deadline,
        measures=[m.text for m in o.measures], taken=o.taken, request=c.request if c else None,
        request_reason=c.request_reason if c else None, refusal=c.refusal if c else None,
    )


class ChooseIn(BaseModel):
    take: bool
    reason: Text | None = Field(default=None, max_length=5000, description="after the choice deadline: why")


class ChoiceOut(BaseModel):
    choice_id: int
    task_id: int
    office_id: int
    taken: bool
    request: str | None
    request_reason: str | None
    refusal: str | None


def choice_out(c) -> ChoiceOut:
    return ChoiceOut(choice_id=c.id, task_id=c.task_id, office_id=c.office_id, taken=c.taken, request=c.request,
                     request_reason=c.request_reason, refusal=c.refusal)


@router.get("/choices", response_model=list[OfferedOut])
def list_offered(actor: ActorDep, session: SessionDep):
    """选做申报: the optional tasks the parent offices offer to the caller's office."""
    return [offered_out(o) for o in choices.offered_to_office(session, actor)]


@router.put("/choices/tasks/{task_id}", response_model=ChoiceOut)
def choose(task_id: IdPath, body: ChooseIn, actor: ActorDep, session: SessionDep, now: NowDep, today: TodayDep,
           calendar: CalendarDep, settings: SettingsDep):
    """Take (or drop) an optional task: issued at once by the choice deadline, else a request to the parent."""
    return choice_out(choices.choose(session, actor, task_id, take=body.take, reason=body.reason, today=today, now=now,
                                     calendar=calendar, support_lead_workdays=settings.support_lead_workdays))


class ChoiceRowOut(BaseModel):
    office_id: int
    office_name: str
    task_id: int
    task_number: str
    task_title: str
    choice: ChoiceOut | None


@router.get("/plans/{plan_id}/choices", response_model=list[ChoiceRowOut])
def plan_choices(plan_id: IdPath, actor: ActorDep, session: SessionDep):
    """Who chose what: per child office and optional task, taken or not, and any pending request."""
    return [
        ChoiceRowOut(office_id=r.office.id, office_name=r.office.name, task_id=r.task.id, task_number=r.task.number,
                     task_title=r.task.title, choice=choice_out(r.choice) if r.choice else None)
        for r in choices.plan_choices(session, actor, plan_id)
    ]


class DecisionIn(BaseModel):
    approve: bool
    reason: Text | None = Field(default=None, max_length=5000, description="required to refuse")


@router.post("/choices/{choice_id}/decision", response_model=ChoiceOut)
def decide(choice_id: IdPath, body: DecisionIn, actor: ActorDep, session: SessionDep, now: NowDep,
           calendar: CalendarDep, settings: SettingsDep):
    """The parent office approves or refuses a child office's late change of its optional tasks."""
    return choice_out(choices.decide(session, actor, choice_id, approve=body.approve, reason=body.reason, now=now,
                                     calendar=calendar, support_lead_workdays=settings.support_lead_workdays))
