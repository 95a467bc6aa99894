from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.database import Base, UTCDateTime, utcnow

PENDING = "pending"
ACKNOWLEDGED = "acknowledged"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
STATES = (PENDING, ACKNOWLEDGED, SUBMITTED, RETURNED, APPROVED)
# States in which the department still owes work; reminders run only for these.
OPEN_STATES = (PENDING, ACKNOWLEDGED, RETURNED)


class Milestone(Base):
    """节点: what an assignment owes by a due date (per phase, or the measure's own deadline).

    Overdue is derived (due date passed and not approved), never stored.
    """

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("assignment_id", "phase_id"),
        Index("ix_milestones_department_state_due", "department_id", "state", "due_date"),
        # The review queue finds and counts the submitted ones by this one (migration 0021).
        Index("ix_milestones_state_due_plan", "state", "due_date", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    # Copied from the assignment (they never change) so that inbox, dashboard and
    # scan queries filter on one indexed table instead of a three-way join.
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    due_date: Mapped[date] = mapped_column(Date)
    # Bumped by every approved extension; part of the reminder de-duplication key,
    # so the ladder restarts for the new date.
    due_version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped["Assignment"] = relationship()  # noqa: F821
    phase: Mapped["Phase | None"] = relationship()  # noqa: F821


class Report(Base):
    """办结申请: the unit says the checkpoint is done. Filed on a support milestone it is a
    contribution the lead sees."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attachments: Mapped[list["Attachment"]] = relationship(
        cascade="all, delete-orphan", order_by="Attachment.id"
    )


PROGRESS_READ = "read"  # 已阅
PROGRESS_MORE = "more"  # 要求补充
PROGRESS_REVIEW_LABELS = {PROGRESS_READ: "已阅", PROGRESS_MORE: "要求补充"}


class ProgressReport(Base):
    """进展报送 on a 督办件: never closes anything; the office reads it or asks for more.

    Filed by a support unit it is a contribution the lead sees."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review: Mapped[str | None] = mapped_column(String(10))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list["Attachment"]] = relationship(
        cascade="all, delete-orphan", order_by="Attachment.id"
    )


class Attachment(Base):
    """A file filed with a 办结申请 (report) or a 进展报送 (progress report), exactly one of them.
    Kept in the database so a backup holds everything."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    progress_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


REVIEW_APPROVE = "approve"
REVIEW_RETURN = "return"
# The office reopens an approved milestone: its reason is kept with the reviews.
REVIEW_REOPEN = "reopen"


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


EXTENSION_PENDING = "pending"
EXTENSION_APPROVED = "approved"
EXTENSION_REJECTED = "rejected"


class ExtensionRequest(Base):
    """延期申请."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    current_due_date: Mapped[date] = mapped_column(Date)
    new_due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=EXTENSION_PENDING, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


EVENT_ASSIGNMENT = "assignment"  # 交办通知
EVENT_RETURNED = "returned"  # 退回
EVENT_EXTENSION_DECIDED = "extension_decided"  # 延期审批结果
EVENT_PROGRESS_MORE = "progress_more"  # 进展报送要求补充


class WorkflowEvent(Base):
    """A workflow change that owes a message (交办通知, 退回, 延期审批结果): the
    workflow emits it, the reminder scan consumes it.

    Written in the workflow's own transaction and turned into notifications by
    the next scan, which holds the settings (links, timezone) the workflow lacks
    and merges one activation's assignments into one notice per recipient.
    """

    __tablename__ = "workflow_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
