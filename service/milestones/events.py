"""What the workflow tells the reminder scan, and the only writer of
`Milestone.next_reminder_at` besides the scan itself (which stores the next time
it computes): the workflow, a plan's activation, archive and restore, a new
reminder policy and a calendar change only mark milestones for the next scan,
since they lack the timezone, send hour and link settings; the scan, a minute
later at most, works out the exact time and renders the messages.
"""

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from service.milestones.models import EVENT_ASSIGNMENT, OPEN_STATES, Milestone, WorkflowEvent
from service.plans.models import Plan


def reschedule(milestone: Milestone, *, now: datetime) -> None:
    """After a transition: open milestones are looked at by the next scan, closed ones never."""
    milestone.next_reminder_at = now if milestone.state in OPEN_STATES else None


def emit(session: Session, kind: str, milestone: Milestone, *, now: datetime, **payload) -> None:
    """A change that owes a notice (退回, 延期审批结果), for the next scan to send."""
    session.add(WorkflowEvent(kind=kind, milestone_id=milestone.id, payload=payload, created_at=now))


def plan_activated(session: Session, plan_id: int, *, now: datetime) -> None:
    """Queue the assignment notices (交办通知) and start every milestone's ladder."""
    milestones_issued(session, session.scalars(select(Milestone.id).where(Milestone.plan_id == plan_id)).all(), now=now)


def milestones_issued(session: Session, ids: list[int], *, now: datetime) -> None:
    """Queue the 交办通知 of milestones issued now (at activation, or when a child office takes
    an optional task) and start their ladders."""
    if ids:
        session.execute(update(Milestone).where(Milestone.id.in_(ids)).values(next_reminder_at=now))
        session.execute(
            insert(WorkflowEvent),
            [{"kind": EVENT_ASSIGNMENT, "milestone_id": i, "payload": {}, "created_at": now} for i in ids],
        )


def plan_archived(session: Session, plan_id: int) -> int:
    """Take the plan's milestones off the scan: no next reminder, and the notices
    still queued for them (交办, 退回, 延期) dropped, so the scan neither reads nor
    sends anything for an archived plan. Returns how many notices were dropped."""
    milestone_ids = select(Milestone.id).where(Milestone.plan_id == plan_id)
    session.execute(update(Milestone).where(Milestone.plan_id == plan_id).values(next_reminder_at=None))
    dropped = session.execute(delete(WorkflowEvent).where(WorkflowEvent.milestone_id.in_(milestone_ids)))
    return dropped.rowcount


def rescan_open(session: Session, plan_id: int, *, now: datetime) -> None:
    """The next scan computes each open milestone's ladder afresh (after a restore,
    sending at most the most severe step now due, never the ones missed meanwhile;
    after a policy change, on the new ladder)."""
    session.execute(
        update(Milestone)
        .where(Milestone.plan_id == plan_id, Milestone.state.in_(OPEN_STATES))
        .values(next_reminder_at=now)
    )


def rescan_around(
    session: Session, first: date, last: date, *, now: datetime, office_ids: frozenset[int] | None = None
) -> int:
    """Mark the open milestones due between `first` and `last`, or with a reminder
    on those days, for the next scan: of every office, or of the plans of
    `office_ids`. Returns how many."""
    first_at = datetime.combine(first, time(), timezone.utc)
    last_at = datetime.combine(last + timedelta(days=1), time(), timezone.utc)
    result = session.execute(
        update(Milestone)
        .where(
            Milestone.state.in_(OPEN_STATES),
            or_(Milestone.due_date.between(first, last), Milestone.next_reminder_at.between(first_at, last_at)),
            *([] if office_ids is None else [
                Milestone.plan_id.in_(select(Plan.id).where(Plan.office_id.in_(office_ids)))
            ]),
        )
        # Not a change of the milestone itself: its updated_at stays.
        .values(next_reminder_at=now, updated_at=Milestone.updated_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
