"""考核: the office's schemes (scored items, weights, grade thresholds) and the results
scored under them per unit and period."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow

POINTS = Numeric(8, 2)

RESULT_DRAFT = "draft"
RESULT_PUBLISHED = "published"
RESULT_STATUS_LABELS = {RESULT_DRAFT: "待发布", RESULT_PUBLISHED: "已发布"}


class AssessmentScheme(Base):
    """考核方案: a version of an office's scheme. Editing one that a published result
    used makes a new version (`previous_id` points back, the old one is `superseded`),
    so a published result always shows the scheme it was scored under."""

    __tablename__ = "assessment_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)
    # Scored over this plan only; None: every plan of the office.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    total: Mapped[Decimal] = mapped_column(POINTS)
    # [{"key", "kind", "name", "weight", "params": {...}}] (see assessment.service.KINDS)
    items: Mapped[list] = mapped_column(JSON)
    # [["优秀", 90], …]: the first grade whose minimum the score reaches.
    grades: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_schemes.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssessmentResult(Base):
    """考核结果 of one scheme over a period (local dates, both included). A draft is
    recomputed on demand; publishing freezes its scores' lines as they stand."""

    __tablename__ = "assessment_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The day the records were counted up to (the period's end, or the day computed if earlier).
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=RESULT_DRAFT)
    # Whether units see the ranking (others' totals and grades, never their lines).
    ranking_public: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssessmentScore(Base):
    """One unit's score: the total, its grade and every line that makes it up, with
    the records each line counted (stored, never recomputed once published)."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("result_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("assessment_results.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    total: Mapped[Decimal] = mapped_column(POINTS)
    grade: Mapped[str] = mapped_column(String(20))
    lines: Mapped[list] = mapped_column(JSON)


class AssessmentCorrection(Base):
    """更正: the one way a published score changes, kept with its reason and both sides."""

    __tablename__ = "assessment_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("assessment_results.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_key: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    corrected_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
