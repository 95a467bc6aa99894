from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.audit.service import list_events
from service.dependencies import ActorDep, IdQuery, SessionDep

router = APIRouter(tags=["audit"])


class AuditEventOut(BaseModel):
    id: int
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


@router.get("/audit", response_model=list[AuditEventOut])
def audit(
    actor: ActorDep,
    session: SessionDep,
    entity: str | None = None,
    id: IdQuery = None,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    events = list_events(session, actor, entity_type=entity, entity_id=id, limit=limit, offset=offset)
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in events]
