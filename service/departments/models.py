from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow

KIND_UNIT = "unit"
KIND_GROUP = "group"  # e.g. 各区政府: assignable as one, expandable into its members


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (
        UniqueConstraint("office_id", "name"),
        UniqueConstraint("office_id", "represents_office_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(20), default=KIND_UNIT)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # A unit standing for a child office (越秀区政府 in the city's directory): work assigned
    # to it is issued down (上级交办) and that office's admins act for it.
    represents_office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    mobiles: Mapped[list[str]] = mapped_column(JSON, default=list)
    head_name: Mapped[str | None] = mapped_column(String(100))
    head_email: Mapped[str | None] = mapped_column(String(200))
    head_mobile: Mapped[str | None] = mapped_column(String(40))
    # False for names the importer created from a plan until the office confirms them.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DepartmentGroupMember(Base):
    """Membership of a unit in a group department (各区政府 → 越秀区政府, …)."""

    __tablename__ = "department_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
