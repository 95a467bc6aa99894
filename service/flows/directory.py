"""The units directory an actor reads: a unit user also sees the units it shares plans with,
so the directory reads the plans' assignments."""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.departments.models import Department
from service.plans.models import Assignment, Measure


def _colleague_ids(department_id: int):
    """The departments assigned in a plan that also assigns this one."""
    own_plans = (
        select(Measure.plan_id).join(Assignment, Assignment.measure_id == Measure.id)
        .where(Assignment.department_id == department_id)
    )
    return (
        select(Assignment.department_id).join(Measure, Assignment.measure_id == Measure.id)
        .where(Measure.plan_id.in_(own_plans))
    )


def list_departments(session: Session, actor: Actor, *, confirmed: bool | None = None) -> list[Department]:
    """The directory the actor may read: the office's (and its child offices') for
    the office and its leaders; for a department user, its own department and the
    departments it works with in the same plans, whose contacts it does not see
    (`departments.service.shows_contacts`)."""
    return list(session.scalars(readable_departments(actor, confirmed=confirmed).order_by(Department.id)))


def department_names(session: Session, actor: Actor) -> dict[int, str]:
    """Id to name over the same directory, without loading the departments: the
    dashboard names its 300 units on every view."""
    query = readable_departments(actor).with_only_columns(Department.id, Department.name)
    return dict(session.execute(query.order_by(Department.id)).all())


def readable_departments(actor: Actor, *, confirmed: bool | None = None) -> Select[tuple[Department]]:
    query = select(Department).where(Department.office_id.in_(actor.readable_office_ids))
    if actor.is_department:
        query = query.where(
            Department.office_id == actor.office_id,
            or_(Department.id == actor.department_id, Department.id.in_(_colleague_ids(actor.department_id))),
        )
    if confirmed is not None:
        query = query.where(Department.confirmed == confirmed)
    return query
