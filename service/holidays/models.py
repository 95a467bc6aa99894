from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime

NAME_MAX_LENGTH = 50


class CalendarDay(Base):
    """A day of the deployment-wide holiday schedule (节假日安排) entered in the app:
    a holiday (放假) or a make-up workday (调休上班). Overrides the holiday file
    and chinesecalendar for its date."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OfficeCalendarDay(Base):
    """A local day off (or make-up workday) an office's admin entered: it counts
    for that office and its child offices only, over the national schedule."""

    __tablename__ = "office_calendar_days"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
