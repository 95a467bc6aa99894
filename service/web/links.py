"""The signed milestone link page (`/m/{token}`): what a department opens from a
reminder on its phone, without logging in.

Opening only shows: mail scanners and chat link previews (WeCom unfurls links)
open every link they see. 签收 and reporting are posts from the page, with the
page's CSRF token, and only through a link minted for the department itself
(service.reminders.links). A browser logged in as someone else (a leader, the
office, another department) cannot act through a department's link either: the
link does not make its reader that department.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from service.auth.actor import Actor
from service.dependencies import NowDep, SessionDep, SettingsDep
from service.errors import DomainError, Forbidden
from service.milestones import service as workflow
from service.plans.models import Plan
from service.reminders.links import OpenedLink, link_actor, open_link
from service.text import Text
from service.web.render import render
from service.web.session import optional_page_actor

router = APIRouter()
ViewerDep = Annotated[Actor | None, Depends(optional_page_actor)]


def _page(request: Request, status: int = 200, **context) -> HTMLResponse:
    return render(request, "milestone_link.html", context, status_code=status)


def _someone_else(viewer: Actor | None, link: OpenedLink) -> bool:
    """A logged-in browser that is not the link's department."""
    return viewer is not None and not (viewer.is_department and viewer.department_id == link.milestone.department_id)


def _acting_actor(session, link: OpenedLink, viewer: Actor | None) -> Actor:
    if _someone_else(viewer, link):
        raise Forbidden("您当前登录的账号不是该单位的账号，不能通过单位的督办链接办理；请在系统内查看")
    return link_actor(session, link)


def _view(request: Request, session, link: OpenedLink, token: str, viewer: Actor | None, status: int = 200,
          **extra) -> HTMLResponse:
    milestone = link.milestone
    archived = workflow.in_archived_plan(session, milestone)
    can_act = link.acts and not archived and not _someone_else(viewer, link)
    return _page(
        request, status, milestone=milestone, plan=session.get(Plan, milestone.plan_id),
        measure=milestone.assignment.measure, role=milestone.assignment.role,
        state_label=workflow.STATE_LABELS[milestone.state], token=token,
        reports=workflow.reports_of(session, milestone), archived=archived,
        can_acknowledge=can_act and milestone.state == "pending",
        reporting=can_act and link.settings.reporting,
        view_only=not link.acts, someone_else=link.acts and _someone_else(viewer, link), **extra,
    )


def _act(request: Request, session, token: str, now, settings, viewer: Actor | None,
         action: Callable[[OpenedLink, Actor], object], **done) -> HTMLResponse:
    """Open the link, act as its department, show the page again (with the refusal, if any)."""
    try:
        link = open_link(session, settings, token, now)
    except DomainError as exc:
        return _page(request, exc.status_code, error=exc.message)
    try:
        action(link, _acting_actor(session, link, viewer))
    except DomainError as exc:
        session.rollback()  # the request returns normally: nothing of the refused action may be committed
        return _view(request, session, link, token, viewer, exc.status_code, refused=exc.message)
    return _view(request, session, link, token, viewer, **done)


@router.get("/m/{token}", response_class=HTMLResponse)
def open_milestone_link(request: Request, token: str, session: SessionDep, now: NowDep, settings: SettingsDep,
                        viewer: ViewerDep):
    """Shows the milestone and, for its department, the 签收 button; changes nothing."""
    try:
        link = open_link(session, settings, token, now)
    except DomainError as exc:
        return _page(request, exc.status_code, error=exc.message)
    return _view(request, session, link, token, viewer)


@router.post("/m/{token}/acknowledge", response_class=HTMLResponse)
def acknowledge_by_link(request: Request, token: str, session: SessionDep, now: NowDep, settings: SettingsDep,
                        viewer: ViewerDep):
    return _act(
        request, session, token, now, settings, viewer,
        lambda link, actor: workflow.acknowledge(session, actor, link.milestone.id, now=now), acknowledged=True,
    )


@router.post("/m/{token}/report", response_class=HTMLResponse)
def report_by_link(
    request: Request, token: str, session: SessionDep, now: NowDep, settings: SettingsDep, viewer: ViewerDep,
    text: Annotated[Text, Form(max_length=20000)], percent: Annotated[int, Form(ge=0, le=100)],
):
    """Only when the office turned on link reporting for the plan."""

    def report(link: OpenedLink, actor: Actor) -> None:
        if not link.settings.reporting:
            raise Forbidden("本计划未开放链接报送，请登录督办系统报送进展")
        workflow.submit_report(
            session, actor, link.milestone.id, text=text, percent=percent, now=now,
            max_attachment_bytes=settings.attachment_max_bytes,
        )

    return _act(request, session, token, now, settings, viewer, report, reported=True)
