"""Reminder policies per plan, and the hooks the workflow calls after each change.

The workflow does not know the timezone, send hour or link settings, so its
hooks only mark a milestone for the next scan (`next_reminder_at = now`) and
record the event that owes a message; the scan, a minute later at most,
computes the exact next reminder time and renders the messages.
"""

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.database import lock_for_change
from service.milestones.models import OPEN_STATES, Milestone
from service.plans.models import Plan
from service.reminders.models import ReminderPolicy, WorkflowEvent
from service.reminders.policy import DEFAULT_POLICY, Policy, policy_from_json

EVENT_ASSIGNMENT = "assignment"  # 交办通知
EVENT_RETURNED = "returned"  # 退回
EVENT_EXTENSION_DECIDED = "extension_decided"  # 延期审批结果


def policies_for(session: Session, plan_ids: set[int]) -> dict[int, Policy]:
    """The policy of many plans in one query; plans without their own get the default."""
    rows = session.execute(
        select(ReminderPolicy.plan_id, ReminderPolicy.policy).where(ReminderPolicy.plan_id.in_(plan_ids))
    )
    own = {plan_id: policy_from_json(data) for plan_id, data in rows if data is not None}
    return {plan_id: own.get(plan_id, DEFAULT_POLICY) for plan_id in plan_ids}


def policy_row(session: Session, plan_id: int, now: datetime) -> ReminderPolicy:
    """The plan's policy row, created if missing, for a change: the plan is locked
    first, so concurrent changes neither both create the row nor lose an update."""
    lock_for_change(session, Plan, plan_id)
    row = session.get(ReminderPolicy, plan_id, populate_existing=True)
    if row is None:
        row = ReminderPolicy(plan_id=plan_id, policy=None, link_reporting=False, link_version=1, updated_at=now)
        session.add(row)
    return row


def get_policy(session: Session, plan: Plan) -> tuple[Policy, bool, bool]:
    """(policy, is_default, link_reporting) of a plan."""
    row = session.get(ReminderPolicy, plan.id)
    if row is None or row.policy is None:
        return DEFAULT_POLICY, True, bool(row and row.link_reporting)
    return policy_from_json(row.policy), False, row.link_reporting


def set_policy(
    session: Session, actor: Actor, plan: Plan, data: dict | None, *, link_reporting: bool, now: datetime
) -> Policy:
    """Replace the plan's policy (None: back to the default) and link-reporting flag.

    Every open milestone of the plan is marked for the next scan, which computes
    its next reminder under the new ladder.
    """
    actor.require_admin_of(plan.office_id)
    policy = policy_from_json(data) if data is not None else DEFAULT_POLICY
    row = policy_row(session, plan.id, now)
    before = {"policy": row.policy, "link_reporting": row.link_reporting}
    row.policy = policy.to_json() if data is not None else None
    row.link_reporting = link_reporting
    row.updated_at = now
    session.execute(
        update(Milestone)
        .where(Milestone.plan_id == plan.id, Milestone.state.in_(OPEN_STATES))
        .values(next_reminder_at=now)
    )
    session.flush()
    record(
        session, actor, "plan.reminder_policy", "plan", plan.id,
        before=before, after={"policy": row.policy, "link_reporting": link_reporting}, now=now,
    )
    return policy


# --- workflow hooks ------------------------------------------------------------


def reschedule(milestone: Milestone, *, now: datetime) -> None:
    """After a transition: open milestones are looked at by the next scan, closed ones never."""
    milestone.next_reminder_at = now if milestone.state in OPEN_STATES else None


def record_event(session: Session, kind: str, milestone: Milestone, *, now: datetime, **payload) -> None:
    session.add(WorkflowEvent(kind=kind, milestone_id=milestone.id, payload=payload, created_at=now))


def plan_activated(session: Session, plan: Plan, *, now: datetime) -> None:
    """Queue the assignment notices (交办通知) and start every milestone's ladder."""
    session.execute(update(Milestone).where(Milestone.plan_id == plan.id).values(next_reminder_at=now))
    ids = session.scalars(select(Milestone.id).where(Milestone.plan_id == plan.id)).all()
    if ids:
        session.execute(
            insert(WorkflowEvent),
            [{"kind": EVENT_ASSIGNMENT, "milestone_id": i, "payload": {}, "created_at": now} for i in ids],
        )


def plan_archived(session: Session, plan: Plan) -> int:
    """Take the plan's milestones off the scan: no next reminder, and the notices
    still queued for them (交办, 退回, 延期) dropped, so the scan neither reads nor
    sends anything for an archived plan. Returns how many notices were dropped."""
    milestone_ids = select(Milestone.id).where(Milestone.plan_id == plan.id)
    session.execute(update(Milestone).where(Milestone.plan_id == plan.id).values(next_reminder_at=None))
    dropped = session.execute(delete(WorkflowEvent).where(WorkflowEvent.milestone_id.in_(milestone_ids)))
    return dropped.rowcount


def plan_restored(session: Session, plan: Plan, *, now: datetime) -> None:
    """Back on the scan: the next one computes each open milestone's ladder afresh
    (sending at most the most severe step now due, never the ones missed meanwhile)."""
    session.execute(
        update(Milestone)
        .where(Milestone.plan_id == plan.id, Milestone.state.in_(OPEN_STATES))
        .values(next_reminder_at=now)
    )
