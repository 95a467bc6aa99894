"""Offices over the API: the operator sets up any office and links it to a parent;
an office's admin creates its child offices and their first admins."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.auth.routes import UserOut
from service.auth.service import create_first_admin
from service.dependencies import ActorDep, NowDep, SessionDep
from service.ids import Id
from service.offices import service
from service.text import Line

router = APIRouter(tags=["offices"])


class OfficeCreate(BaseModel):
    name: Line = Field(min_length=1, max_length=service.NAME_MAX)
    parent_id: Id | None = Field(default=None, description="an admin's own office when left out")


class OfficeOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    created_at: datetime


class FirstAdminCreate(BaseModel):
    username: Line = Field(min_length=1, max_length=100)
    password: Line = Field(min_length=1, max_length=200, description="temporary: changed at first login")


@router.get("/offices", response_model=list[OfficeOut])
def list_offices(actor: ActorDep, session: SessionDep):
    """Every office for the operator; the own office and those below it for an admin."""
    return [OfficeOut.model_validate(o, from_attributes=True) for o in service.visible_offices(session, actor)]


@router.post("/offices", response_model=OfficeOut, status_code=201)
def add_office(body: OfficeCreate, actor: ActorDep, session: SessionDep, now: NowDep):
    office = service.create_office(session, actor, body.name, body.parent_id, now=now)
    return OfficeOut.model_validate(office, from_attributes=True)


@router.post("/offices/{office_id}/admins", response_model=UserOut, status_code=201)
def add_first_admin(office_id: Id, body: FirstAdminCreate, actor: ActorDep, session: SessionDep, now: NowDep):
    user = create_first_admin(session, actor, office_id, username=body.username, password=body.password, now=now)
    return UserOut.model_validate(user, from_attributes=True)
