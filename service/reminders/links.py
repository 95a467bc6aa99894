"""Signed, expiring milestone links (`{DUBAN_BASE_URL}/m/{token}`) carried by
every reminder and assignment notice.

Opening one only shows the milestone: a mail scanner or a chat's link preview
opens links too. A link can act (签收, and reporting if the plan allows it, by
explicit posts from its page) only if it was minted for the milestone's own
department: its channels and addresses. The same milestone's link in a message
to the office, a leader or the department head only shows, so whoever finds
one in the outbox cannot act with it.
The token holds the plan's link version and the milestone's own, so the office
revokes every link of a plan by bumping the first, or the links of one
milestone (a leaked one) by bumping the second.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from itsdangerous import BadSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.auth.models import ROLE_DEPARTMENT
from service.config import Settings
from service.database import lock_for_change
from service.departments.models import Department
from service.errors import Forbidden, NotFound
from service.link_signing import serializer, signed_link
from service.milestones.models import Milestone
from service.milestones.service import get_milestone
from service.plans.models import Plan
from service.reminders.models import MilestoneLink, ReminderPolicy
from service.reminders.service import policy_row

# A link stays valid this long after the due date (and at least this long after
# it was sent), so a late department can still open last week's reminder.
VALID_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class LinkSettings:
    """The plan's link version and link-reporting flag."""

    version: int = 1
    reporting: bool = False


def link_payload(
    milestone_id: int, due_date: date, version: int, now: datetime, milestone_version: int = 1, *, acts: bool = False,
) -> dict:
    """What a milestone link's token holds: valid until 30 days after the due date,
    and at least 30 days after `now`, when the message was composed; `act` only
    in a link for the milestone's own department."""
    due_end = datetime.combine(due_date, datetime.min.time(), timezone.utc) + VALID_AFTER
    expires = max(due_end, now + VALID_AFTER)
    payload = {"m": milestone_id, "v": version, "mv": milestone_version, "e": int(expires.timestamp())}
    return {**payload, "act": 1} if acts else payload


def milestone_link(
    settings: Settings, milestone: Milestone, version: int, now: datetime, milestone_version: int = 1,
    *, acts: bool = False,
) -> str:
    """The link for a message; `acts` only for one to the milestone's own department."""
    return signed_link(settings, link_payload(milestone.id, milestone.due_date, version, now, milestone_version, acts=acts))


def link_settings(session: Session, plan_ids: set[int]) -> dict[int, LinkSettings]:
    """Link settings of many plans in one query (plans without a row get the defaults)."""
    rows = session.execute(
        select(ReminderPolicy.plan_id, ReminderPolicy.link_version, ReminderPolicy.link_reporting).where(
            ReminderPolicy.plan_id.in_(plan_ids)
        )
    )
    found = {plan_id: LinkSettings(version, reporting) for plan_id, version, reporting in rows}
    return {plan_id: found.get(plan_id, LinkSettings()) for plan_id in plan_ids}


def own_link_version(session: Session, milestone_id: int) -> int:
    """The milestone's own link version (1 until one of its links was revoked)."""
    return session.scalar(select(MilestoneLink.version).where(MilestoneLink.milestone_id == milestone_id)) or 1


@dataclass(frozen=True)
class OpenedLink:
    milestone: Milestone
    settings: LinkSettings
    # Minted for the department's own channels: may acknowledge (and report).
    acts: bool


def open_link(session: Session, settings: Settings, link_token: str, now: datetime) -> OpenedLink:
    """The milestone a token names, if the token is genuine, unexpired and not revoked."""
    try:
        data = serializer(settings).loads(link_token)
        milestone_id, version, expires = int(data["m"]), int(data["v"]), int(data["e"])
        # Links signed before milestones had their own version carry none: version 1.
        milestone_version = int(data.get("mv", 1))
        # Links signed before links had an audience only show: who got them is not known.
        acts = data.get("act") == 1
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("链接无效") from None
    if now.timestamp() > expires:
        raise Forbidden("链接已过期，请登录系统或使用最新通知中的链接")
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("链接无效")
    current = link_settings(session, {milestone.plan_id})[milestone.plan_id]
    if version != current.version or milestone_version != own_link_version(session, milestone.id):
        raise Forbidden("链接已被办公室撤销，请登录系统或使用最新通知中的链接")
    return OpenedLink(milestone, current, acts)


def link_actor(session: Session, link: OpenedLink) -> Actor:
    """Who acts through a link: the milestone's own department, for this milestone
    only, named so in the audit log (a department, through its link)."""
    if not link.acts:
        raise Forbidden("此链接仅供查看，不能签收或报送；请登录督办系统办理")
    milestone = link.milestone
    office_id = session.scalar(select(Plan.office_id).where(Plan.id == milestone.plan_id))
    department = session.scalar(select(Department.name).where(Department.id == milestone.department_id))
    # actor_name holds 100 characters; a department's name may have 200.
    return Actor(
        None, f"{department[:90]}（经督办链接）", office_id, ROLE_DEPARTMENT, milestone.department_id, frozenset({office_id})
    )


def revoke_plan_links(session: Session, actor: Actor, plan: Plan, *, now: datetime) -> int:
    """Invalidate every link sent so far for the plan; returns the new link version."""
    actor.require_admin_of(plan.office_id)
    row = policy_row(session, plan.id, now)
    return _bump(session, actor, row, "link_version", "plan", plan.id, now=now)


def revoke_milestone_links(session: Session, actor: Actor, milestone_id: int, *, now: datetime) -> int:
    """Invalidate every link sent so far for one milestone; returns its new link version.
    The other links of the plan keep working."""
    milestone = get_milestone(session, actor, milestone_id)
    actor.require_admin_of(session.scalar(select(Plan.office_id).where(Plan.id == milestone.plan_id)))
    lock_for_change(session, Milestone, milestone.id)  # concurrent revocations each move the version on
    row = session.get(MilestoneLink, milestone.id, populate_existing=True)
    if row is None:
        row = MilestoneLink(milestone_id=milestone.id, version=1)
        session.add(row)
    return _bump(session, actor, row, "version", "milestone", milestone.id, now=now)


def _bump(session: Session, actor: Actor, row, column: str, entity: str, entity_id: int, *, now: datetime) -> int:
    """Move a link version on by one (every link signed with the old one stops working), audited."""
    before = getattr(row, column) or 1
    setattr(row, column, before + 1)
    row.updated_at = now
    session.flush()
    record(
        session, actor, f"{entity}.links_revoke", entity, entity_id,
        before={"link_version": before}, after={"link_version": before + 1}, now=now,
    )
    return before + 1
