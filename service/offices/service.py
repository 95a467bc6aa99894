from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import Invalid
from service.offices.models import Office

DEFAULT_OFFICE_NAME = "领导小组办公室"


def ensure_default_office(session: Session) -> Office:
    """A fresh install has exactly one office that nobody has to think about."""
    office = session.scalars(select(Office).order_by(Office.id).limit(1)).first()
    if office is None:
        office = Office(name=DEFAULT_OFFICE_NAME)
        session.add(office)
        session.flush()
    return office


def create_office(session: Session, name: str, parent_id: int | None = None) -> Office:
    if not name.strip():
        raise Invalid("办公室名称不能为空")
    if parent_id is not None and session.get(Office, parent_id) is None:
        raise Invalid(f"上级办公室 {parent_id} 不存在")
    office = Office(name=name.strip(), parent_id=parent_id)
    session.add(office)
    session.flush()
    return office


def find_office(session: Session, name: str) -> Office | None:
    return session.scalars(select(Office).where(Office.name == name)).first()


def descendant_office_ids(session: Session, office_id: int) -> frozenset[int]:
    """The office and every office below it, walked one level per query."""
    found = {office_id}
    frontier = {office_id}
    while frontier:
        frontier = set(session.scalars(select(Office.id).where(Office.parent_id.in_(frontier))))
        frontier -= found
        found |= frontier
    return frozenset(found)
