"""Whether the office can reach a unit at all: a unit without an address, a
mobile number, a head's contact or a channel hears of its work only by chance."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.delivery.models import Channel
from service.departments.models import KIND_GROUP, Department


def without_contact(session: Session, departments: Iterable[Department]) -> list[Department]:
    """The units (not groups, which reach their members) among `departments` with no contact of any kind."""
    units = [d for d in departments if d.kind != KIND_GROUP]
    with_channel = set(
        session.scalars(
            select(Channel.department_id).where(
                Channel.department_id.in_([d.id for d in units]), Channel.enabled.is_(True)
            )
        )
    )
    return [
        d for d in units
        if d.id not in with_channel and not (d.emails or d.mobiles or d.head_email or d.head_mobile)
    ]
