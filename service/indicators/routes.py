from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.dependencies import ActorDep, IdPath, NowDep, SessionDep
from service.ids import Id
from service.indicators import service
from service.indicators.models import IndicatorReading
from service.text import Line, Text

router = APIRouter(tags=["indicators"])

Comparison = Literal["at_least", "at_most", "growth_rate_at_least", "equal"]
# Numeric(18, 4): fourteen digits before the point.
LIMIT = 1e14


class IndicatorFields(BaseModel):
    name: Text = Field(min_length=1, max_length=500)
    target_value: float = Field(gt=-LIMIT, lt=LIMIT)
    unit: Line = Field(default="", max_length=20)
    comparison: Comparison = "at_least"
    target_date: date | None = None
    text: Text = Field(default="", max_length=20000)


class ParsedIndicator(IndicatorFields):
    """An indicator as `duban plan parse` prints it."""

    # The responsible unit's name as the plan writes it, resolved like the measures' departments.
    department: Line | None = Field(default=None, max_length=100)


class IndicatorIn(IndicatorFields):
    baseline_value: float | None = Field(default=None, gt=-LIMIT, lt=LIMIT)
    department_id: Id | None = None


class IndicatorUpdate(BaseModel):
    name: Text | None = Field(default=None, min_length=1, max_length=500)
    target_value: float | None = Field(default=None, gt=-LIMIT, lt=LIMIT)
    unit: Line | None = Field(default=None, max_length=20)
    comparison: Comparison | None = None
    target_date: date | None = None
    baseline_value: float | None = Field(default=None, gt=-LIMIT, lt=LIMIT)
    department_id: Id | None = None
    text: Text | None = Field(default=None, max_length=20000)


class ReadingIn(BaseModel):
    value: float = Field(gt=-LIMIT, lt=LIMIT)
    as_of: date
    note: Text | None = Field(default=None, max_length=5000)


class ReadingOut(BaseModel):
    id: int
    indicator_id: int
    value: float
    as_of: date
    note: str | None
    reported_by: int | None
    created_at: datetime


class IndicatorOut(BaseModel):
    id: int
    plan_id: int
    position: int
    name: str
    unit: str
    comparison: Comparison
    target_value: float
    baseline_value: float | None
    target_date: date | None
    department_id: int | None
    text: str
    latest: ReadingOut | None
    # Share of the way to the target (0..1) and whether it keeps pace; null before any reading.
    progress: float | None
    on_track: bool | None


def reading_out(reading: IndicatorReading) -> ReadingOut:
    return ReadingOut.model_validate(reading, from_attributes=True)


def indicator_out(status: service.IndicatorStatus) -> IndicatorOut:
    i = status.indicator
    return IndicatorOut(
        id=i.id, plan_id=i.plan_id, position=i.position, name=i.name, unit=i.unit, comparison=i.comparison,
        target_value=i.target_value, baseline_value=i.baseline_value, target_date=i.target_date,
        department_id=i.department_id, text=i.text,
        latest=reading_out(status.latest) if status.latest else None,
        progress=status.progress, on_track=status.on_track,
    )


@router.get("/plans/{plan_id}/indicators", response_model=list[IndicatorOut])
def list_indicators(plan_id: IdPath, actor: ActorDep, session: SessionDep):
    plan, indicators = service.list_indicators(session, actor, plan_id)
    return [indicator_out(s) for s in service.statuses(session, plan, indicators)]


@router.post("/plans/{plan_id}/indicators", response_model=IndicatorOut, status_code=201)
def create_indicator(plan_id: IdPath, body: IndicatorIn, actor: ActorDep, session: SessionDep, now: NowDep):
    indicator = service.create_indicator(session, actor, plan_id, body.model_dump(), now=now)
    return indicator_out(service.status_for(session, indicator))


@router.patch("/indicators/{indicator_id}", response_model=IndicatorOut)
def update_indicator(indicator_id: IdPath, body: IndicatorUpdate, actor: ActorDep, session: SessionDep, now: NowDep):
    indicator = service.update_indicator(session, actor, indicator_id, body.model_dump(exclude_unset=True), now=now)
    return indicator_out(service.status_for(session, indicator))


@router.post("/indicators/{indicator_id}/readings", response_model=ReadingOut, status_code=201)
def add_reading(indicator_id: IdPath, body: ReadingIn, actor: ActorDep, session: SessionDep, now: NowDep):
    reading = service.add_reading(
        session, actor, indicator_id, value=body.value, as_of=body.as_of, note=body.note, now=now
    )
    return reading_out(reading)


@router.get("/indicators/{indicator_id}/readings", response_model=list[ReadingOut])
def list_readings(indicator_id: IdPath, actor: ActorDep, session: SessionDep):
    return [reading_out(r) for r in service.list_readings(session, actor, indicator_id)]
