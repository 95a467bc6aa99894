"""启动: a draft plan becomes active, with its milestones on the reminder ladder."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.delivery.models import AUDIENCE_DEPARTMENT, Channel
from service.departments.models import Department
from service.flows import cascade
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
    cascade.check_deadlines(session, plan)
    created = milestones.create_for_plan(
        session, plan, calendar=calendar, support_lead_workdays=support_lead_workdays, now=now
    )
    plans.mark_activated(session, actor, plan, milestones_created=created, now=now)
    events.plan_activated(session, plan.id, now=now)
    return created


@dataclass(frozen=True)
class ActivationSummary:
    """What starting a draft plan creates: the office confirms it before it happens."""

    units: int  # departments that receive work
    items: int  # 督办件: one per measure and department
    milestones: int  # checkpoints: an item's phases (or its measure's own deadline)
    notices: int  # 交办通知: one per unit and channel or address (more if a channel's size limit splits it)
    units_unreachable: int  # units with no channel and no address: they hear of nothing


def activation_summary(session: Session, actor: Actor, plan_id: int) -> ActivationSummary:
    plan = plans.get_plan(session, actor, plan_id)
    # A group standing for child offices becomes one 督办件 per office (下发).
    # An optional task's measure is offered to them instead: nothing is created for it yet (选做).
    issuing = plans.issuing_groups(session, plan.office_id)
    offered = {a.id for a in plans.offered_assignments(session, plan)}
    assigned = [(m, d) for m in plan.measures for d in dict.fromkeys(
        member for a in m.assignments if a.id not in offered
        for member in issuing.get(a.department_id, [a.department_id])
    )]
    phases = len(plan.phases)
    checkpoints = sum(1 if m.deadline else phases for m, _ in assigned)
    unit_ids = {d for _, d in assigned}
    emails = dict(session.execute(select(Department.id, Department.emails).where(Department.id.in_(unit_ids))).all())
    channels = dict(session.execute(
        select(Channel.department_id, func.count()).where(
            Channel.department_id.in_(unit_ids), Channel.enabled.is_(True), Channel.audience == AUDIENCE_DEPARTMENT,
        ).group_by(Channel.department_id)
    ).all())
    reach = {u: channels.get(u, 0) + len({e.strip().lower() for e in emails.get(u) or () if e.strip()}) for u in unit_ids}
    return ActivationSummary(
        units=len(unit_ids), items=len(assigned), milestones=checkpoints, notices=sum(reach.values()),
        units_unreachable=sum(1 for n in reach.values() if n == 0),
    )
