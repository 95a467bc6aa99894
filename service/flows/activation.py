"""启动: a draft plan becomes active, with its milestones on the reminder ladder."""

from datetime import datetime

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.milestones import events
from service.milestones import service as milestones
from service.plans import service as plans
from service.workdays import WorkdayCalendar


def activate_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    *,
    now: datetime,
    calendar: WorkdayCalendar,
    support_lead_workdays: int,
    expand_groups: bool = False,
) -> int:
    """Returns how many milestones were created."""
    plan = plans.check_activatable(session, actor, plan_id, expand_groups=expand_groups)
    created = milestones.create_for_plan(
        session, plan, calendar=calendar, support_lead_workdays=support_lead_workdays, now=now
    )
    plans.mark_activated(session, actor, plan, milestones_created=created, now=now)
    events.plan_activated(session, plan.id, now=now)
    return created
