"""Reminder policies, the de-duplication ledger, pending workflow events and
weekly bulletin runs."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow


class ReminderPolicy(Base):
    """催办规则 of one plan, with the plan's milestone-link settings.

    A plan without a row uses the default policy, link version 1 and no link reporting.
    """

    __tablename__ = "reminder_policies"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    # None: the default ladder of DESIGN.md (kept out of the row so it can improve).
    policy: Mapped[dict | None] = mapped_column(JSON)
    # When on, the signed milestone link page also accepts a progress report.
    link_reporting: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of every signed link; bumping it revokes every link of the plan.
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MilestoneLink(Base):
    """A milestone's own link version, part of its signed links beside the
    plan's: bumping it revokes the links of one milestone (a leaked one) and
    leaves every other link of the plan working. No row means version 1."""

    __tablename__ = "milestone_links"

    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SentReminder(Base):
    """One reminder step sent to one recipient on one channel: the unique key
    keeps restarts and concurrent scans from sending it twice."""

    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint("milestone_id", "due_version", "step", "recipient", "channel", name="uq_sent_reminders_key"),
        # The progress-request cap counts a department's requests of the current week.
        Index("ix_sent_reminders_department_kind_created", "department_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    due_version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BulletinRun(Base):
    """One weekly bulletin per office and week, whatever the number of replicas."""

    __tablename__ = "bulletin_runs"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
