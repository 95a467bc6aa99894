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


class CalendarRevision(Base):
    """One row whose number goes up with every change to the holiday schedule or
    to an office's local days, in the same transaction: the version the running
    processes compare to know their calendars are stale. The UPDATE also makes
    two saves of the calendar wait for each other on PostgreSQL."""

    __tablename__ = "calendar_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(default=0)
