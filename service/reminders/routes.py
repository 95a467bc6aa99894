"""Reminder policy per plan, link revocation, health; and the signed milestone
link page (`/m/{token}`, outside /api/v1)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from sqlalchemy import func, select, text

from service.delivery.models import Notification
from service.dependencies import ActorDep, CalendarDep, IdPath, NowDep, SessionDep, SettingsDep, WriteSessionDep
from service.errors import DomainError, Forbidden
from service.milestones import service as workflow
from service.milestones.models import Milestone
from service.plans.models import Plan
from service.plans.service import get_plan
from service.reminders import service
from service.reminders.links import link_actor, open_link, revoke_milestone_links, revoke_plan_links
from service.reminders.models import WorkflowEvent
from service.resources import resource_dir
from service.workdays import uncovered_warning
from service.text import Text

router = APIRouter(tags=["reminders"])
link_router = APIRouter(tags=["links"])


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
def health(session: SessionDep, calendar: CalendarDep, now: NowDep, settings: SettingsDep):
    """Database, workday-calendar coverage, and the scan and outbox backlogs."""
    session.execute(text("SELECT 1"))
    year = now.astimezone(settings.tz).year
    for y in (year, year + 1):
        calendar.is_workday(date(y, 12, 31))  # records years without holiday data
    uncovered = sorted(calendar.uncovered_years)
    outbox = dict(
        session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_(("pending", "retry", "sending", "dead")))
            .group_by(Notification.status)
        ).all()
    )
    return {
        "status": "degraded" if uncovered else "ok",
        "database": "ok",
        "calendar": {
            "uncovered_years": uncovered,
            "warnings": [
                f"{uncovered_warning(y)}；请在“节假日安排”页面（/holidays）录入，或在 DUBAN_HOLIDAYS_FILE 中补充"
                for y in uncovered
            ],
        },
        "scheduler": {
            "milestones_due": session.scalar(select(func.count()).where(Milestone.next_reminder_at <= now)),
            "events_pending": session.scalar(select(func.count()).select_from(WorkflowEvent)),
        },
        "outbox": {s: outbox.get(s, 0) for s in ("pending", "retry", "sending", "dead")},
    }


_pages = Environment(
    loader=FileSystemLoader(resource_dir("templates") / "web"), autoescape=select_autoescape(("html",))
)


def _page(status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_pages.get_template("milestone_link.html").render(**context), status_code=status)


def _view(session, milestone: Milestone, reporting: bool, token: str, **extra) -> HTMLResponse:
    plan = session.get(Plan, milestone.plan_id)
    return _page(
        milestone=milestone, plan=plan, measure=milestone.assignment.measure, role=milestone.assignment.role,
        state_label=workflow.STATE_LABELS[milestone.state], reporting=reporting, token=token,
        reports=workflow.reports_of(session, milestone), **extra,
    )


@link_router.get("/m/{token}", response_class=HTMLResponse)
def open_milestone_link(token: str, session: WriteSessionDep, now: NowDep, settings: SettingsDep):
    """Opening the link acknowledges the assignment (签收) and shows the milestone."""
    try:
        milestone, link = open_link(session, settings, token, now)
    except DomainError as exc:
        return _page(exc.status_code, error=exc.message)
    acknowledged = False
    # An archived plan's link still shows the milestone, but acknowledges nothing and takes no report.
    archived = workflow.in_archived_plan(session, milestone)
    if milestone.state == "pending" and not archived:
        workflow.acknowledge(session, link_actor(session, milestone), milestone.id, now=now)
        acknowledged = True
    return _view(session, milestone, link.reporting and not archived, token, acknowledged=acknowledged, archived=archived)


@link_router.post("/m/{token}/report", response_class=HTMLResponse)
def report_by_link(
    token: str, session: SessionDep, now: NowDep, settings: SettingsDep,
    text: Annotated[Text, Form(max_length=20000)], percent: Annotated[int, Form(ge=0, le=100)],
):
    """Only when the office turned on link reporting for the plan."""
    try:
        milestone, link = open_link(session, settings, token, now)
        if not link.reporting:
            raise Forbidden("本计划未开放链接报送，请登录督办系统报送进展")
        workflow.submit_report(
            session, link_actor(session, milestone), milestone.id, text=text, percent=percent, now=now,
            max_attachment_bytes=settings.attachment_max_bytes,
        )
    except DomainError as exc:
        return _page(exc.status_code, error=exc.message)
    return _view(session, milestone, link.reporting, token, reported=True)
