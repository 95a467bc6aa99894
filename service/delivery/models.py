"""Channels, the notification outbox and its delivery attempts."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow

AUDIENCE_DEPARTMENT = "department"
AUDIENCE_OFFICE = "office"
AUDIENCE_LEADER = "leader"
AUDIENCES = (AUDIENCE_DEPARTMENT, AUDIENCE_OFFICE, AUDIENCE_LEADER)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
RETRY = "retry"
DEAD = "dead"
CANCELLED = "cancelled"
STATUSES = (PENDING, SENDING, SENT, RETRY, DEAD, CANCELLED)

KIND_DELIVERY_DEAD = "delivery_dead"
KIND_TEST = "test"


class Channel(Base):
    """Where a department's (or the office's / leader's) messages go."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    # None for an office-level channel (audience office or leader).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[str] = mapped_column(String(20), default=AUDIENCE_DEPARTMENT)
    type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(1000))
    # Never returned by the API nor logged.
    secret: Mapped[str | None] = mapped_column(String(500))
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """The outbox: one message to one channel target."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_office_created", "office_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    # None for an email sent straight to an address (Department.emails, head_email).
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), index=True
    )
    channel_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(500))
    # A digest's bodies are rendered when it is sent (or shown), not when it is queued:
    # `template` names its message templates, `template_context` holds the digest's
    # own fields and `event["items"]` its items, each link as the payload to sign.
    # The bodies are stored once sent, so the row keeps what went out.
    template: Mapped[str | None] = mapped_column(String(40))
    template_context: Mapped[dict | None] = mapped_column(JSON)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_markdown: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    event: Mapped[dict] = mapped_column(JSON, default=dict)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    # last_error as the office reads it: the notifier's Chinese words (DeliveryResult.words).
    last_error_words: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[str] = mapped_column(Text, default="", server_default="")
    worker: Mapped[str] = mapped_column(String(100))


class SendSlot(Base):
    """One accepted send to a rate-limited robot, shared by every replica:
    the per-robot limit is a sliding window counted over these rows."""

    __tablename__ = "send_slots"
    __table_args__ = (Index("ix_send_slots_robot_sent", "channel_type", "target", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(1000))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
