"""Recording audit events: every domain service calls `record` for each change."""

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.auth.actor import Actor

# An office's local days off: they count for its child offices too, whose logs show them.
OFFICE_CALENDAR_ENTITY = "office_calendar"


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """JSON-safe copy of the named attributes, for an audit event's before/after."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return values


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime,
    deployment_wide: bool = False,
) -> AuditEvent:
    """`deployment_wide`: a change to what every office shares (the operator's
    national holiday schedule); filed under no office, so every office's log shows it."""
    event = AuditEvent(
        office_id=None if deployment_wide else actor.office_id,
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        created_at=now,
    )
    session.add(event)
    return event
