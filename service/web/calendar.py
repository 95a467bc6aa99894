"""Per-department calendar feed (.ics) behind an unguessable URL.

Calendar clients (Outlook, WeCom) cannot log in, so the URL is the credential:
the department's own random feed secret (service/departments/feeds.py), which
its users or the office's admin replace to end the old URL.
"""

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.departments.feeds import department_for_feed, rotate_feed
from service.departments.models import Department
from service.dependencies import IdPath, NowDep, SessionDep, SettingsDep
from service.errors import NotFound
from service.milestones.models import Milestone
from service.milestones.service import STATE_LABELS
from service.plans.models import PLAN_ARCHIVED, Assignment, Measure, Plan

from service.web.render import render
from service.web.session import PageActorDep

router = APIRouter()


def calendar_url(request: Request, raw: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/calendar/{raw}.ics"


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, every line break
    (CRLF, LF or a bare CR, as pasted from Word) one escaped newline. A raw CR
    would end the content line early and let the rest read as a property."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545: lines of at most 75 octets, continued with a leading space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def ics_feed(department: Department, milestones: list[Milestone], *, base_url: str, now: datetime) -> str:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Duban//督办//ZH", "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(department.name)} 督办节点", "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for m in milestones:
        measure = m.assignment.measure
        phase = m.phase.name if m.phase else "措施时限"
        summary = f"【督办】{measure.text[:30]}（{phase}）"
        description = f"{measure.plan.title}\n状态：{STATE_LABELS[m.state]}\n{measure.text}\n{base_url}/milestones/{m.id}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:milestone-{m.id}-v{m.due_version}@duban",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{m.due_date:%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{base_url}/milestones/{m.id}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep, now: NowDep):
    department = department_for_feed(session, token)
    if department is None:
        raise NotFound("日历订阅地址无效或已作废")
    milestones = session.scalars(
        select(Milestone)
        .join(Plan, Plan.id == Milestone.plan_id)
        # An archived plan's milestones leave the department's calendar with its inbox.
        .where(Milestone.department_id == department.id, Plan.status != PLAN_ARCHIVED)
        .options(
            selectinload(Milestone.assignment).selectinload(Assignment.measure).selectinload(Measure.plan),
            selectinload(Milestone.phase),
        )
        .order_by(Milestone.due_date, Milestone.id)
    )
    body = ics_feed(department, list(milestones), base_url=settings.base_url.rstrip("/"), now=now)
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.post("/departments/{department_id}/calendar-feed")
def new_calendar_feed(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    """A new feed URL, shown on this answer only (only its hash is kept); the old one ends."""
    raw = rotate_feed(session, actor, department_id, now=now)
    department = session.get(Department, department_id)
    back = "/inbox" if actor.is_department else f"/departments/{department_id}"
    return render(request, "calendar_feed.html", {"department": department, "url": calendar_url(request, raw),
                                                   "back": back})
