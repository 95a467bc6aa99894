"""Names and labels the pages show next to ids, loaded in one query each."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.auth.actor import Actor
from service.flows import directory
from service.milestones.models import Milestone
from service.plans.models import Assignment, Measure, Plan


def department_names(session: Session, actor: Actor) -> dict[int, str]:
    """Names of the departments the actor may know of (a department user: the ones it works with)."""
    return directory.department_names(session, actor)


# What a list row shows of a milestone: its measure with task and plan, and its phase.
MILESTONE_ROW = (
    selectinload(Milestone.assignment).selectinload(Assignment.measure).selectinload(Measure.task),
    selectinload(Milestone.assignment).selectinload(Assignment.measure).selectinload(Measure.plan),
    selectinload(Milestone.phase),
)


def load_milestones(session: Session, ids: list[int]) -> dict[int, Milestone]:
    """Milestones with their measure, plan and phase, for list rows."""
    if not ids:
        return {}
    rows = session.scalars(select(Milestone).where(Milestone.id.in_(ids)).options(*MILESTONE_ROW))
    return {m.id: m for m in rows}


def plan_titles(session: Session, actor: Actor) -> dict[int, str]:
    rows = session.execute(select(Plan.id, Plan.title).where(Plan.office_id.in_(actor.readable_office_ids)))
    return dict(rows.all())
