from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.database import Base, UTCDateTime, utcnow

PLAN_DRAFT = "draft"
PLAN_ACTIVE = "active"
PLAN_ARCHIVED = "archived"
PLAN_STATUS_LABELS = {PLAN_DRAFT: "草稿", PLAN_ACTIVE: "推进中", PLAN_ARCHIVED: "已归档"}

ROLE_LEAD = "lead"  # 牵头 / 负责
ROLE_SUPPORT = "support"  # 配合 / 参与 / 协办

# How often each open 督办件 owes a progress report (进展报送).
CYCLE_NONE = "none"
CYCLE_WEEKLY = "weekly"
CYCLE_MONTHLY = "monthly"
CYCLE_QUARTERLY = "quarterly"
REPORTING_CYCLES = {CYCLE_NONE: "不要求定期报送", CYCLE_WEEKLY: "每周", CYCLE_MONTHLY: "每月", CYCLE_QUARTERLY: "每季度"}


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_office_id_source_hash", "office_id", "source_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=PLAN_DRAFT)
    # The whole document: loaded only when asked for, not with every plan list.
    source_text: Mapped[str | None] = mapped_column(Text, deferred=True)
    # SHA-256 of the imported document's content (see importing.content_hash): the same
    # document imported again is recognised, whatever its encoding or line breaks.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    # What only the imported document could tell, kept for the review page:
    # {"warnings": the parser's warnings with their measure ids, "from_table": bool}.
    import_notes: Mapped[dict | None] = mapped_column(JSON)
    # None: use the configured default (DUBAN_SUPPORT_LEAD_WORKDAYS).
    support_lead_workdays: Mapped[int | None] = mapped_column(Integer)
    reporting_cycle: Mapped[str] = mapped_column(String(10), default=CYCLE_NONE, server_default=CYCLE_NONE)
    # Monthly: the day of the month (1–28) by which the month's report is owed.
    reporting_day: Mapped[int | None] = mapped_column(Integer)
    # 选做申报: the last day child offices choose the optional tasks they take; later, a
    # change is a request the office approves.
    choice_deadline: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    phases: Mapped[list["Phase"]] = relationship(
        back_populates="plan", order_by="Phase.position", cascade="all, delete-orphan"
    )
    sections: Mapped[list["Section"]] = relationship(
        back_populates="plan", order_by="Section.position", cascade="all, delete-orphan"
    )
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="plan", order_by="Task.position", cascade="all, delete-orphan"
    )
    measures: Mapped[list["Measure"]] = relationship(
        back_populates="plan", order_by="Measure.position", cascade="all, delete-orphan"
    )


class Phase(Base):
    __tablename__ = "phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date] = mapped_column(Date)

    plan: Mapped[Plan] = relationship(back_populates="phases")


class Section(Base):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))

    plan: Mapped[Plan] = relationship(back_populates="sections")


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    # None where the document does not say (most plans make every task mandatory).
    mandatory: Mapped[bool | None] = mapped_column(Boolean)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    section: Mapped[Section | None] = relationship()


class Measure(Base):
    """措施: the unit of assignment."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # None for measures outside tasks (保障措施).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # The measure's own deadline; when set it replaces the plan's phases.
    deadline: Mapped[date | None] = mapped_column(Date)
    # The parent office's 督办件 this child office's measure carries out (分解落实).
    parent_assignment_id: Mapped[int | None] = mapped_column(
        # use_alter: measures and assignments refer to each other.
        ForeignKey("assignments.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # Why its deadline is later than the parent's: the parent sees it.
    late_reason: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="measures")
    task: Mapped[Task | None] = relationship()
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="measure", cascade="all, delete-orphan", order_by="Assignment.id",
        foreign_keys="Assignment.measure_id",
    )


class Assignment(Base):
    """分工: measure × department × role."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("measure_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    # 签收 covers all of the item's checkpoints.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    measure: Mapped[Measure] = relationship(back_populates="assignments", foreign_keys=[measure_id])


class MeasureOffer(Base):
    """An optional task's measure assigned to a group standing for child offices, or to a unit
    standing for one (then `group_id` is that unit): on activation it is offered to them (not
    issued); a child office choosing the task receives it in `role`."""

    __tablename__ = "measure_offers"
    __table_args__ = (UniqueConstraint("measure_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))


CHANGE_ADD = "add"
CHANGE_DROP = "drop"
CHANGE_LABELS = {CHANGE_ADD: "增选", CHANGE_DROP: "退选"}


class TaskChoice(Base):
    """A child office's choice of one optional task of its parent's plan (选做申报). After the
    plan's choice deadline a change waits as `request` until the parent approves or refuses it."""

    __tablename__ = "task_choices"
    __table_args__ = (UniqueConstraint("task_id", "office_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    taken: Mapped[bool] = mapped_column(Boolean, default=False)
    request: Mapped[str | None] = mapped_column(String(10))  # CHANGE_ADD or CHANGE_DROP, awaiting the parent
    request_reason: Mapped[str | None] = mapped_column(Text)
    refusal: Mapped[str | None] = mapped_column(Text)  # the parent's reason for the last refused request
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()


class PlanChange(Base):
    """A plan's change count, kept by database triggers (migration 0023), never by the code:
    every insert, delete or update of the plan or of its phases, tasks, measures, assignments,
    milestones, progress reports and extension requests (of a milestone: any column but the
    scan's `next_reminder_at` and `updated_at`) adds to it, whichever flow or
    statement made it.

    A plan's count is the sum of `n` over its rows: one row per plan on SQLite (one writer at
    a time: incremented in place), append-only on PostgreSQL (no writer waits on another's
    counter row) until `plans.versions.compact` folds them. A migration that rebuilds one of
    these tables on SQLite (batch mode) must create its triggers again; a new milestone
    column a page reads must join the trigger's column list.
    """

    __tablename__ = "plan_changes"
    __table_args__ = (Index("ix_plan_changes_plan_id_n", "plan_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a deleted plan's last rows are written while it is being deleted.
    plan_id: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
