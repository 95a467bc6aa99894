"""Reminder policies per plan, and the notices sent about a milestone (the
workflow's marks for the scan are in service/milestones/events.py)."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.database import lock_for_change
from service.delivery.models import KIND_DELIVERY_DEAD, KIND_TEST, Notification
from service.delivery.service import visible_notifications
from service.milestones import events
from service.milestones.models import Milestone
from service.plans.models import Plan
from service.reminders.models import ReminderPolicy, SentReminder
from service.reminders.policy import DEFAULT_POLICY, Policy, policy_from_json


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
    events.rescan_open(session, plan.id, now=now)
    session.flush()
    record(
        session, actor, "plan.reminder_policy", "plan", plan.id,
        before=before, after={"policy": row.policy, "link_reporting": link_reporting}, now=now,
    )
    return policy


def notices_about(session: Session, actor: Actor, milestone: Milestone, *, limit: int) -> list[Notification]:
    """The reminders and notices that may name this milestone, newest first (the
    caller finds the milestone's item in each one's event).

    A department's own rows carry its id; digests to the office or the leader
    cover several departments and are found through the scans that sent this
    milestone's steps (the SentReminder ledger). `visible_notifications` keeps
    a department user to its own department's rows.
    """
    scans = session.scalars(
        select(SentReminder.created_at).where(SentReminder.milestone_id == milestone.id).distinct()
    ).all()
    mine = Notification.department_id == milestone.department_id
    if scans:
        mine = or_(mine, and_(Notification.department_id.is_(None), Notification.created_at.in_(scans)))
    return list(session.scalars(
        visible_notifications(actor)
        .where(mine, Notification.created_at >= milestone.created_at,
               Notification.kind.not_in((KIND_TEST, KIND_DELIVERY_DEAD)))
        .order_by(Notification.id.desc())
        .limit(limit)
    ))
