"""A department's calendar feed (.ics) secret.

Calendar clients cannot log in, so the feed URL is the credential. Each
department has its own random secret, only its SHA-256 stored; generating a new
one (the office's admin, or the department's own users) ends the old URL at
once, without touching any other department's feed or the deployment key.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.audit.service import record
from service.auth.actor import Actor
from service.database import Base, UTCDateTime
from service.departments.models import Department
from service.errors import Forbidden, NotFound


class CalendarFeed(Base):
    __tablename__ = "calendar_feeds"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def feed_of(session: Session, department_id: int) -> CalendarFeed | None:
    return session.get(CalendarFeed, department_id)


def rotate_feed(session: Session, actor: Actor, department_id: int, *, now: datetime) -> str:
    """A new feed secret for the department (the previous URL stops working);
    returns the raw secret, which is shown once and never stored."""
    department = session.get(Department, department_id)
    if department is None or department.office_id not in actor.readable_office_ids:
        raise NotFound(f"单位 {department_id} 不存在")
    if not (actor.is_department and actor.department_id == department.id):
        if not actor.is_admin:
            raise Forbidden("只有本单位用户或办公室管理员可以重新生成日历订阅地址")
        actor.require_admin_of(department.office_id)
    raw = secrets.token_urlsafe(32)
    feed = feed_of(session, department.id)
    replaced = feed is not None
    if feed is None:
        session.add(CalendarFeed(department_id=department.id, token_hash=_hash(raw), created_at=now,
                                 created_by=actor.user_id))
    else:
        feed.token_hash, feed.created_at, feed.created_by = _hash(raw), now, actor.user_id
    session.flush()
    record(session, actor, "calendar_feed.rotate", "department", department.id,
           after={"previous_url_revoked": replaced}, now=now)
    return raw


def department_for_feed(session: Session, raw: str) -> Department | None:
    department_id = session.scalar(select(CalendarFeed.department_id).where(CalendarFeed.token_hash == _hash(raw)))
    return session.get(Department, department_id) if department_id is not None else None
