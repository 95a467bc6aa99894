from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.database import unique_or_conflict
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.offices.models import Office

DEFAULT_OFFICE_NAME = "领导小组办公室"
NAME_MAX = 200


def ensure_default_office(session: Session) -> Office:
    """A fresh install has exactly one office that nobody has to think about."""
    office = session.scalars(select(Office).order_by(Office.id).limit(1)).first()
    if office is None:
        office = Office(name=DEFAULT_OFFICE_NAME)
        session.add(office)
        session.flush()
    return office


def _require_office_manager(actor: Actor) -> None:
    if not (actor.is_operator or actor.is_admin):
        raise Forbidden("只有系统运维人员或领导小组办公室管理员可以管理办公室")


def _office_in_chain(session: Session, actor: Actor, office_id: int, field: str) -> Office:
    """An office the actor may read about; an office outside an admin's own chain
    does not exist for it (its name is another office's business)."""
    office = session.get(Office, office_id)
    if office is None or not (actor.is_operator or office_id in actor.readable_office_ids):
        raise NotFound(f"办公室 {office_id} 不存在", field=field)
    return office


def create_office(
    session: Session, actor: Actor, name: str, parent_id: int | None = None, *, now: datetime
) -> Office:
    """The operator creates any office under any parent (or none); an office's admin
    creates child offices of its own office only, never siblings or grandchildren."""
    _require_office_manager(actor)
    if actor.is_admin:
        if parent_id is not None and _office_in_chain(session, actor, parent_id, "parent_id").id != actor.office_id:
            raise Forbidden("管理员只能为本办公室创建下级办公室", field="parent_id")
        parent_id = actor.office_id
    elif parent_id is not None:
        _office_in_chain(session, actor, parent_id, "parent_id")
    name = name.strip()
    if not name:
        raise Invalid("办公室名称不能为空", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"办公室名称不能超过 {NAME_MAX} 个字", field="name")
    taken = f"办公室名称 {name} 已被使用"
    if find_office(session, name) is not None:
        raise Conflict(taken, field="name")
    office = Office(name=name, parent_id=parent_id, created_at=now)
    with unique_or_conflict(session, taken):
        session.add(office)
    record(session, actor, "office.create", "office", office.id,
           after={"name": name, "parent_id": parent_id}, now=now)
    return office


def visible_offices(session: Session, actor: Actor) -> list[Office]:
    """The operator sees every office; an admin its own office and those below it
    (a child office's admin never sees its parent's other children)."""
    _require_office_manager(actor)
    query = select(Office).order_by(Office.id)
    if not actor.is_operator:
        query = query.where(Office.id.in_(actor.readable_office_ids))
    return list(session.scalars(query))


def child_office_to_staff(session: Session, actor: Actor, office_id: int) -> Office:
    """An office whose first admin the actor may create: any office for the operator,
    a direct child of its own office for an admin."""
    _require_office_manager(actor)
    office = _office_in_chain(session, actor, office_id, "office_id")
    if not may_staff(actor, office):
        raise Forbidden("管理员只能为本办公室的直属下级办公室创建首个管理员", field="office_id")
    return office


def may_staff(actor: Actor, office: Office) -> bool:
    """Whether the actor creates the office's first admin (an office it can read)."""
    return actor.is_operator or office.parent_id == actor.office_id


def find_office(session: Session, name: str) -> Office | None:
    return session.scalars(select(Office).where(Office.name == name)).first()


def ancestor_office_ids(session: Session, office_id: int) -> list[int]:
    """The offices above `office_id`, nearest first, walked one level per query."""
    found, parent = [], session.scalar(select(Office.parent_id).where(Office.id == office_id))
    while parent is not None and parent not in found:
        found.append(parent)
        parent = session.scalar(select(Office.parent_id).where(Office.id == parent))
    return found


def descendant_office_ids(session: Session, office_id: int) -> frozenset[int]:
    """The office and every office below it, walked one level per query."""
    found = {office_id}
    frontier = {office_id}
    while frontier:
        frontier = set(session.scalars(select(Office.id).where(Office.parent_id.in_(frontier))))
        frontier -= found
        found |= frontier
    return frozenset(found)
