"""Signed, expiring milestone links (`{DUBAN_BASE_URL}/m/{token}`) carried by
every reminder and assignment notice.

Opening one acknowledges the assignment (签收) and shows the milestone; it
grants nothing else. Reporting through it needs the plan's link-reporting flag.
The token holds the plan's link version, so the office revokes every link of a
plan by bumping that version.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.auth.models import ROLE_DEPARTMENT
from service.config import Settings
from service.errors import Forbidden, NotFound
from service.milestones.models import Milestone
from service.plans.models import Plan
from service.reminders.models import ReminderPolicy
from service.reminders.service import policy_row

SALT = "duban.milestone-link"
# A link stays valid this long after the due date (and at least this long after
# it was sent), so a late department can still open last week's reminder.
VALID_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class LinkSettings:
    """The plan's link version and link-reporting flag."""

    version: int = 1
    reporting: bool = False


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def make_token(settings: Settings, milestone_id: int, version: int, expires: datetime) -> str:
    return _serializer(settings).dumps({"m": milestone_id, "v": version, "e": int(expires.timestamp())})


def milestone_link(settings: Settings, milestone: Milestone, version: int, now: datetime) -> str:
    due_end = datetime.combine(milestone.due_date, datetime.min.time(), timezone.utc) + VALID_AFTER
    token = make_token(settings, milestone.id, version, max(due_end, now + VALID_AFTER))
    return f"{settings.base_url.rstrip('/')}/m/{token}"


def link_settings(session: Session, plan_ids: set[int]) -> dict[int, LinkSettings]:
    """Link settings of many plans in one query (plans without a row get the defaults)."""
    rows = session.execute(
        select(ReminderPolicy.plan_id, ReminderPolicy.link_version, ReminderPolicy.link_reporting).where(
            ReminderPolicy.plan_id.in_(plan_ids)
        )
    )
    found = {plan_id: LinkSettings(version, reporting) for plan_id, version, reporting in rows}
    return {plan_id: found.get(plan_id, LinkSettings()) for plan_id in plan_ids}


def open_link(session: Session, settings: Settings, token: str, now: datetime) -> tuple[Milestone, LinkSettings]:
    """The milestone a token names, if the token is genuine, unexpired and not revoked."""
    try:
        data = _serializer(settings).loads(token)
        milestone_id, version, expires = int(data["m"]), int(data["v"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("链接无效") from None
    if now.timestamp() > expires:
        raise Forbidden("链接已过期，请登录系统或使用最新通知中的链接")
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("链接无效")
    current = link_settings(session, {milestone.plan_id})[milestone.plan_id]
    if version != current.version:
        raise Forbidden("链接已被办公室撤销，请登录系统或使用最新通知中的链接")
    return milestone, current


def link_actor(session: Session, milestone: Milestone) -> Actor:
    """Who acts through a link: the milestone's own department, for this milestone only."""
    office_id = session.scalar(select(Plan.office_id).where(Plan.id == milestone.plan_id))
    return Actor(None, "signed-link", office_id, ROLE_DEPARTMENT, milestone.department_id, frozenset({office_id}))


def revoke_plan_links(session: Session, actor: Actor, plan: Plan, *, now: datetime) -> int:
    """Invalidate every link sent so far for the plan; returns the new link version."""
    actor.require_admin_of(plan.office_id)
    row = policy_row(session, plan.id, now)
    before = row.link_version or 1
    row.link_version = before + 1
    row.updated_at = now
    session.flush()
    record(
        session, actor, "plan.links_revoke", "plan", plan.id,
        before={"link_version": before}, after={"link_version": row.link_version}, now=now,
    )
    return row.link_version
