"""归档 and 恢复: a plan leaves or rejoins the workflow and the reminder scan.
Both return the plan and how many of its milestones are unfinished."""

from datetime import datetime

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.milestones import events
from service.milestones import service as milestones
from service.plans import service as plans
from service.plans.models import PLAN_ACTIVE, PLAN_ARCHIVED, Plan


def archive_plan(session: Session, actor: Actor, plan_id: int, *, now: datetime) -> tuple[Plan, int]:
    """The plan is finished or superseded: its milestones stay readable but get no
    more reminders or workflow actions. Allowed with milestones still unfinished
    (a superseded plan has them)."""
    plan = plans.plan_to_change(session, actor, plan_id, PLAN_ACTIVE, "归档")
    unfinished = milestones.unfinished_milestones(session, plan.id)
    dropped = events.plan_archived(session, plan.id)
    plans.mark_archived(session, actor, plan, unfinished=unfinished, notices_dropped=dropped, now=now)
    return plan, unfinished


def restore_plan(session: Session, actor: Actor, plan_id: int, *, now: datetime) -> tuple[Plan, int]:
    """Back to active: reminders and workflow resume."""
    plan = plans.plan_to_change(session, actor, plan_id, PLAN_ARCHIVED, "恢复")
    unfinished = milestones.unfinished_milestones(session, plan.id)
    events.rescan_open(session, plan.id, now=now)
    plans.mark_restored(session, actor, plan, unfinished=unfinished, now=now)
    return plan, unfinished
