"""Manual 催办: the office chases one item, selected items or a whole unit now.

A flow over milestones (whose checkpoint is current, who may chase it), reminders
(the ledger and the digest messages) and delivery (the outbox the dispatcher sends).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.config import Settings
from service.departments.models import Department
from service.errors import Conflict, Invalid, NotFound, RateLimited
from service.milestones import assignments
from service.plans.models import PLAN_ACTIVE, Assignment, Measure, Plan
from service.reminders.policy import LEVELS
from service.reminders.scan import CHASE_LEVELS, send_chase


@dataclass(frozen=True)
class ChaseResult:
    chased: int  # items a message went out for
    skipped: int  # items already chased today


def _level(level: str) -> str:
    if level not in CHASE_LEVELS:
        raise Invalid("催办级别必须是 提醒（remind）、催办（urge）或 督办（supervise）")
    return CHASE_LEVELS[level]


def _chase(
    session: Session, settings: Settings, actor: Actor, items: list[Assignment], level: str, now: datetime
) -> ChaseResult:
    colour = _level(level)
    for assignment in items:
        actor.require_admin_of(assignment.measure.plan.office_id)
    current = {
        item.current.id: item.assignment
        for item in assignments.work_items(session, items)
        if item.current is not None and item.assignment.measure.plan.status == PLAN_ACTIVE
    }
    if not current:
        raise Conflict("所选督办件均已办结或不在推进中的计划内，无需催办")
    chased = send_chase(session, settings, list(current), colour, now)
    for milestone_id in chased:
        assignment = current[milestone_id]
        record(session, actor, "assignment.chase", "assignment", assignment.id,
               after={"level": LEVELS[colour], "milestone_id": milestone_id}, now=now)
    return ChaseResult(len(chased), len(current) - len(chased))


def chase_items(
    session: Session, settings: Settings, actor: Actor, assignment_ids: list[int], *, level: str, now: datetime
) -> ChaseResult:
    """Chase the given items; refused (429) when every one of them was chased today already."""
    if not assignment_ids:
        raise Invalid("请选择要催办的督办件")
    items = [assignments.get_assignment(session, actor, i) for i in dict.fromkeys(assignment_ids)]
    result = _chase(session, settings, actor, items, level, now)
    if result.chased == 0:
        raise RateLimited("今天已催办过所选督办件，每件每天只催办一次")
    return result


def chase_department(
    session: Session, settings: Settings, actor: Actor, department_id: int, *, level: str, now: datetime
) -> ChaseResult:
    """Chase every open item of one unit in the office's active plans."""
    department = session.get(Department, department_id)
    if department is None or department.office_id not in actor.readable_office_ids:
        raise NotFound(f"单位 {department_id} 不存在")
    actor.require_admin_of(department.office_id)
    items = list(session.scalars(
        assignments.visible_assignments(actor).where(
            Assignment.department_id == department.id, Plan.office_id == actor.office_id, Plan.status == PLAN_ACTIVE,
            assignments.open_checkpoint(),
        ).order_by(Measure.plan_id, Measure.position)
    ))
    if not items:
        raise Conflict(f"{department.name}没有待办的督办件，无需催办")
    result = _chase(session, settings, actor, items, level, now)
    if result.chased == 0:
        raise RateLimited(f"今天已催办过{department.name}的全部待办督办件，每件每天只催办一次")
    return result
