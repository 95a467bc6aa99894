"""Reminder policy per plan, link revocation, health (the signed link page is
service.web.links)."""

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select, text

from service.delivery.models import Notification
from service.dependencies import (
    ActorDep, CalendarDep, IdPath, NowDep, OptionalActorDep, SessionDep, SettingsDep,
)
from service.milestones.models import Milestone, WorkflowEvent
from service.plans.models import Plan
from service.plans.service import get_plan
from service.reminders import service
from service.reminders.links import revoke_milestone_links, revoke_plan_links
from service.workdays import uncovered_warning

router = APIRouter(tags=["reminders"])


class PolicyOut(BaseModel):
    plan_id: int
    is_default: bool
    link_reporting: bool
    policy: dict


class PolicyIn(BaseModel):
    # None puts the plan back on the default ladder.
    policy: dict | None = None
    link_reporting: bool = False


@router.get("/plans/{plan_id}/reminder-policy", response_model=PolicyOut)
def get_reminder_policy(plan_id: IdPath, actor: ActorDep, session: SessionDep):
    plan = get_plan(session, actor, plan_id)
    policy, is_default, link_reporting = service.get_policy(session, plan)
    return PolicyOut(plan_id=plan.id, is_default=is_default, link_reporting=link_reporting, policy=policy.to_json())


@router.put("/plans/{plan_id}/reminder-policy", response_model=PolicyOut)
def put_reminder_policy(plan_id: IdPath, body: PolicyIn, actor: ActorDep, session: SessionDep, now: NowDep):
    plan = get_plan(session, actor, plan_id)
    policy = service.set_policy(session, actor, plan, body.policy, link_reporting=body.link_reporting, now=now)
    return PolicyOut(
        plan_id=plan.id, is_default=body.policy is None, link_reporting=body.link_reporting, policy=policy.to_json()
    )


@router.post("/plans/{plan_id}/links/revoke")
def revoke_links(plan_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """Invalidate every milestone link sent so far for the plan."""
    return {"plan_id": plan_id, "link_version": revoke_plan_links(session, actor, get_plan(session, actor, plan_id), now=now)}


@router.post("/milestones/{milestone_id}/links/revoke")
def revoke_milestone_link(milestone_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """Invalidate every link sent so far for one milestone (a leaked one); the
    plan's other links keep working."""
    return {"milestone_id": milestone_id,
            "link_version": revoke_milestone_links(session, actor, milestone_id, now=now)}


@router.get("/health")
def health(session: SessionDep, calendar: CalendarDep, now: NowDep, settings: SettingsDep, actor: OptionalActorDep):
    """The overall status, for anyone (a load balancer's probe). An admin also gets
    the database, workday-calendar coverage, and the scan and outbox backlogs of
    the own office and its child offices: other tenants' figures are theirs."""
    session.execute(text("SELECT 1"))
    year = now.astimezone(settings.tz).year
    for y in (year, year + 1):
        calendar.is_workday(date(y, 12, 31))  # records years without holiday data
    uncovered = sorted(calendar.uncovered_years)
    status = {"status": "degraded" if uncovered else "ok"}
    if actor is None or not actor.is_admin:
        return status
    offices = actor.readable_office_ids
    outbox = dict(
        session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_(("pending", "retry", "sending", "dead")), Notification.office_id.in_(offices))
            .group_by(Notification.status)
        ).all()
    )
    own_milestones = select(Milestone.id).join(Plan, Plan.id == Milestone.plan_id).where(Plan.office_id.in_(offices))
    return status | {
        "database": "ok",
        "calendar": {
            "uncovered_years": uncovered,
            "warnings": [
                f"{uncovered_warning(y)}；请在“节假日安排”页面（/holidays）录入，或在 DUBAN_HOLIDAYS_FILE 中补充"
                for y in uncovered
            ],
        },
        "scheduler": {
            "milestones_due": session.scalar(
                select(func.count()).where(Milestone.next_reminder_at <= now, Milestone.id.in_(own_milestones))
            ),
            "events_pending": session.scalar(
                select(func.count()).where(WorkflowEvent.milestone_id.in_(own_milestones))
            ),
        },
        "outbox": {s: outbox.get(s, 0) for s in ("pending", "retry", "sending", "dead")},
    }
