from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.auth.actor import Actor
from service.departments import service
from service.departments.models import Department
from service.flows.directory import list_departments as readable_departments
from service.ids import Id
from service.dependencies import ActorDep, IdPath, NowDep, SessionDep
from service.text import Line

router = APIRouter(tags=["departments"])


class Head(BaseModel):
    name: Line | None = Field(default=None, max_length=100)
    email: Line | None = Field(default=None, max_length=200)
    mobile: Line | None = Field(default=None, max_length=40)


class DepartmentIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    aliases: list[Line] = Field(default_factory=list, max_length=100)
    kind: Line = "unit"
    emails: list[Line] = Field(default_factory=list, max_length=50)
    mobiles: list[Line] = Field(default_factory=list, max_length=50)
    head: Head = Field(default_factory=Head)


class DepartmentPatch(BaseModel):
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    aliases: list[Line] | None = Field(default=None, max_length=100)
    kind: Line | None = None
    emails: list[Line] | None = Field(default=None, max_length=50)
    mobiles: list[Line] | None = Field(default=None, max_length=50)
    head: Head | None = None
    confirmed: bool | None = None


class DepartmentOut(DepartmentIn):
    id: int
    office_id: int
    confirmed: bool
    members: list[int] = Field(default_factory=list)
    represents_office_id: int | None = None


class ChildOffices(BaseModel):
    office_ids: list[Id] = Field(max_length=500)


class GroupMembers(BaseModel):
    member_ids: list[Id] = Field(max_length=500)


def _values(body: DepartmentIn | DepartmentPatch) -> dict:
    values = body.model_dump(exclude_unset=True, exclude={"head"})
    if body.head is not None:
        head = body.head.model_dump(exclude_unset=isinstance(body, DepartmentPatch))
        values.update({f"head_{key}": value for key, value in head.items()})
    return {k: v for k, v in values.items() if not (k in ("name", "kind", "confirmed") and v is None)}


def department_out(session, actor: Actor, department: Department) -> DepartmentOut:
    out = DepartmentOut(
        id=department.id,
        office_id=department.office_id,
        name=department.name,
        kind=department.kind,
        confirmed=department.confirmed,
        represents_office_id=department.represents_office_id,
    )
    if not service.shows_contacts(actor, department):
        return out  # the name only: whom a department works with, not how to reach them
    return out.model_copy(update={
        "aliases": department.aliases or [],
        "emails": department.emails or [],
        "mobiles": department.mobiles or [],
        "head": Head(name=department.head_name, email=department.head_email, mobile=department.head_mobile),
        "members": service.group_member_ids(session, department.id) if department.kind == "group" else [],
    })


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(actor: ActorDep, session: SessionDep, confirmed: bool | None = None):
    return [
        department_out(session, actor, d) for d in readable_departments(session, actor, confirmed=confirmed)
    ]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(body: DepartmentIn, actor: ActorDep, session: SessionDep, now: NowDep):
    department = service.create_department(session, actor, _values(body), now=now)
    return department_out(session, actor, department)


@router.get("/departments/{department_id}", response_model=DepartmentOut)
def get_department(department_id: IdPath, actor: ActorDep, session: SessionDep):
    return department_out(session, actor, service.get_department(session, actor, department_id))


@router.patch("/departments/{department_id}", response_model=DepartmentOut)
def update_department(department_id: IdPath, body: DepartmentPatch, actor: ActorDep, session: SessionDep, now: NowDep):
    department = service.update_department(session, actor, department_id, _values(body), now=now)
    return department_out(session, actor, department)


@router.put("/departments/{department_id}/members", response_model=DepartmentOut)
def set_members(department_id: IdPath, body: GroupMembers, actor: ActorDep, session: SessionDep, now: NowDep):
    group = service.set_group_members(session, actor, department_id, body.member_ids, now=now)
    return department_out(session, actor, group)


@router.put("/departments/{department_id}/offices", response_model=DepartmentOut)
def set_child_offices(department_id: IdPath, body: ChildOffices, actor: ActorDep, session: SessionDep, now: NowDep):
    """The child offices a unit (one) or a group (several, e.g. 各区政府) stands for: its work is issued to them."""
    department = service.set_child_offices(session, actor, department_id, body.office_ids, now=now)
    return department_out(session, actor, department)
