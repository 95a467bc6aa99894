from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.dependencies import ActorDep, CalendarDep, NowDep, SessionDep, SettingsDep
from service.plans import service
from service.plans.models import Plan

router = APIRouter(tags=["plans"])


class ParsedMeasure(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    lead: list[str] = Field(default_factory=list, max_length=200)
    support: list[str] = Field(default_factory=list, max_length=200)
    deadline: date | None = None


class ParsedTask(BaseModel):
    number: str | int | None = None
    title: str = Field(min_length=1, max_length=20000)
    section: str | None = Field(default=None, max_length=2000)
    mandatory: bool | None = None
    measures: list[ParsedMeasure] = Field(default_factory=list, max_length=2000)


class ParsedPhase(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    deadline: date


class PlanIn(BaseModel):
    """The shape `duban plan parse` prints."""

    title: str = Field(min_length=1, max_length=500)
    doc_number: str | None = Field(default=None, max_length=100)
    issuer: str | None = Field(default=None, max_length=200)
    issued_date: date | None = None
    phases: list[ParsedPhase] = Field(default_factory=list, max_length=100)
    tasks: list[ParsedTask] = Field(default_factory=list, max_length=2000)
    measures_outside_tasks: list[ParsedMeasure] = Field(default_factory=list, max_length=2000)


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


def plan_summary(plan: Plan) -> dict[str, Any]:
    return PlanSummary.model_validate(plan, from_attributes=True).model_dump()


def plan_tree(plan: Plan) -> dict[str, Any]:
    def measure(m):
        return {
            "id": m.id,
            "text": m.text,
            "deadline": m.deadline,
            "assignments": [
                {"id": a.id, "department_id": a.department_id, "role": a.role} for a in m.assignments
            ],
        }

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
                "measures": [measure(m) for m in plan.measures if m.task_id == t.id],
            }
            for t in plan.tasks
        ],
        "measures_outside_tasks": [measure(m) for m in plan.measures if m.task_id is None],
    }


@router.get("/plans", response_model=list[PlanSummary])
def list_plans(actor: ActorDep, session: SessionDep):
    return [plan_summary(p) for p in service.list_plans(session, actor)]


@router.post("/plans", response_model=PlanCreated, status_code=201)
def create_plan(body: PlanIn, actor: ActorDep, session: SessionDep, now: NowDep):
    created = service.create_plan_from_parsed(session, actor, body.model_dump(mode="json"), now=now)
    return plan_summary(created.plan) | {
        "matched_departments": created.matched_departments,
        "unmatched_departments": created.unmatched_departments,
    }


@router.get("/plans/{plan_id}")
def get_plan(plan_id: int, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return plan_tree(service.get_plan(session, actor, plan_id))


@router.post("/plans/{plan_id}/activate", response_model=ActivateOut)
def activate_plan(
    plan_id: int,
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    calendar: CalendarDep,
    settings: SettingsDep,
    body: ActivateIn | None = None,
):
    created = service.activate_plan(
        session,
        actor,
        plan_id,
        now=now,
        calendar=calendar,
        support_lead_workdays=settings.support_lead_workdays,
        expand_groups=bool(body and body.expand_groups),
    )
    return ActivateOut(milestones_created=created)
