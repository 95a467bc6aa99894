"""指标: a plan's quantitative targets and the actuals departments report against them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.database import Base, UTCDateTime, utcnow

# Room for 4000人 and 10亿元 alike, and for rates with decimals (6.8件, 13.5%).
AMOUNT = Numeric(18, 4)


class Indicator(Base):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(20))
    # One of service.plans.parser.COMPARISONS.
    comparison: Mapped[str] = mapped_column(String(30))
    target_value: Mapped[Decimal] = mapped_column(AMOUNT)
    # Where progress is counted from; None counts from zero.
    baseline_value: Mapped[Decimal | None] = mapped_column(AMOUNT)
    target_date: Mapped[date | None] = mapped_column(Date)
    # The responsible unit, set by the office; only its users report readings.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    text: Mapped[str] = mapped_column(Text)

    readings: Mapped[list["IndicatorReading"]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        order_by="[IndicatorReading.as_of, IndicatorReading.id]",
    )


class IndicatorReading(Base):
    """An actual value of an indicator as of a date, as a department reported it."""

    __tablename__ = "indicator_readings"
    # The latest reading per indicator is read for every plan page.
    __table_args__ = (Index("ix_indicator_readings_latest", "indicator_id", "as_of", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(AMOUNT)
    as_of: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="readings")
