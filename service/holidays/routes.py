"""节假日安排 over the API: read a year's schedule, replace its entered days
(the operator), and an office's own local days off (its admin)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from service.dependencies import ActorDep, CalendarSourceDep, NowDep, SessionDep
from service.flows.calendar import replace_year
from service.holidays import service
from service.holidays.source import CalendarSource
from service.text import Line

router = APIRouter(tags=["calendar"])
YearPath = Annotated[int, Path(ge=service.YEAR_MIN, le=service.YEAR_MAX)]


class DayIn(BaseModel):
    # Strings, not a date and a Literal: the service checks them as it checks
    # pasted lines and says in Chinese which item is wrong.
    date: Line = Field(max_length=40)
    kind: Line = Field(max_length=40)
    name: Line | None = Field(default=None, max_length=200)


class YearIn(BaseModel):
    days: list[DayIn] = Field(max_length=400)


class DayOut(BaseModel):
    date: date
    weekday: int  # ISO: 1 Monday … 7 Sunday
    kind: str  # holiday (放假) or workday (调休上班)
    name: str
    source: str  # database, file or package


class YearOut(BaseModel):
    year: int
    covered: bool
    editable: bool  # the caller may replace the year's entered days
    days: list[DayOut]


def _year_out(session, actor, year: int, source: CalendarSource) -> YearOut:
    schedule = service.year_schedule(session, year, source.file_entries)
    return YearOut(
        year=year, covered=schedule.covered, editable=service.may_edit(actor),
        days=[DayOut(date=d.day, weekday=d.day.isoweekday(), kind=d.kind, name=d.name, source=d.source)
              for d in schedule.days],
    )


@router.get("/calendar/years/{year}", response_model=YearOut)
def get_year(year: YearPath, actor: ActorDep, session: SessionDep, source: CalendarSourceDep):
    """The year's holidays and make-up workdays from every source, the one that counts per date."""
    return _year_out(session, actor, year, source)


@router.put("/calendar/years/{year}", response_model=YearOut)
def put_year(year: YearPath, body: YearIn, actor: ActorDep, session: SessionDep, now: NowDep,
             source: CalendarSourceDep):
    """Replace the year's entered days (an empty list clears them); the deployment's operator only."""
    service.require_editor(actor)  # before the body is checked: a refusal says nothing about it
    entries = service.entries_from_items([d.model_dump() for d in body.days])
    replace_year(session, actor, year, entries, now=now)
    session.commit()
    source.changed()
    return _year_out(session, actor, year, source)


class OfficeYearOut(BaseModel):
    year: int
    office_id: int
    days: list[DayOut]  # the office's own local days of the year (source "office")


def _office_year_out(session, actor, year: int) -> OfficeYearOut:
    return OfficeYearOut(year=year, office_id=actor.office_id, days=[
        DayOut(date=d.day, weekday=d.day.isoweekday(), kind=d.kind, name=d.name, source="office")
        for d in service.entered_days(session, year, actor.office_id)
    ])


@router.get("/calendar/office/years/{year}", response_model=OfficeYearOut)
def get_office_year(year: YearPath, actor: ActorDep, session: SessionDep):
    """The caller's office's own local days off and make-up days of the year."""
    return _office_year_out(session, actor, year)


@router.put("/calendar/office/years/{year}", response_model=OfficeYearOut)
def put_office_year(year: YearPath, body: YearIn, actor: ActorDep, session: SessionDep, now: NowDep,
                    source: CalendarSourceDep):
    """Replace the office's local days of the year (the office's admin): they count
    for the office and its child offices, over the national schedule."""
    actor.require_admin()
    entries = service.entries_from_items([d.model_dump() for d in body.days])
    replace_year(session, actor, year, entries, now=now, local=True)
    session.commit()
    source.changed()
    return _office_year_out(session, actor, year)
