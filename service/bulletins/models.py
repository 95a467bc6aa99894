"""Bulletins (督办通报) drafted and issued as documents, and issued 督办单.

An issued document keeps the bytes it was issued as, so a re-download is the
same file whatever happened since; the figures it was made from are kept beside
them (JSON) for the page that shows it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow

DRAFT = "draft"
ISSUED = "issued"

BLUE = "blue"  # 临近时限
YELLOW = "yellow"  # 进度滞后 / 被退回
RED = "red"  # 逾期
NOTICE_COLOURS = {BLUE: "蓝色", YELLOW: "黄色", RED: "红色"}
NOTICE_REASONS = {BLUE: "临近时限", YELLOW: "进度滞后或被退回", RED: "已逾期"}


class BulletinDocument(Base):
    """One 督办通报 of a plan and month: a draft the office edits, then issued as 第N期.

    第N期 counts per office and calendar year of issue; the unique key makes a
    duplicate number impossible even if two issues raced past the office lock."""

    __tablename__ = "bulletin_documents"
    __table_args__ = (UniqueConstraint("office_id", "year", "number", name="uq_bulletin_documents_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    narrative: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[date | None] = mapped_column(Date)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupervisionNotice(Base):
    """An issued 三色督办单 for one 督办件, at the checkpoint current when it was issued."""

    __tablename__ = "supervision_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    colour: Mapped[str] = mapped_column(String(10))
    requirement: Mapped[str] = mapped_column(Text)
    answer_by: Mapped[date] = mapped_column(Date)
    sent: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the sheet shows, as issued
    document: Mapped[bytes] = mapped_column(LargeBinary)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
