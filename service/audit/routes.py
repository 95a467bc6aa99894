from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from service.audit.trail import list_events
from service.dependencies import ActorDep, IdQuery, OffsetQuery, SessionDep

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
    entity: str | None = Query(None, max_length=40),
    id: IdQuery = None,
    plan_id: IdQuery = None,
    department_id: IdQuery = None,
    user_id: IdQuery = None,
    action: str | None = Query(None, max_length=60),
    since: AwareDatetime | None = Query(None, description="inclusive, with its UTC offset"),
    until: AwareDatetime | None = Query(None, description="exclusive, with its UTC offset"),
    newest_first: bool = False,
    limit: int = Query(200, ge=1, le=1000),
    offset: OffsetQuery = 0,
):
    """The audit trail the caller may read, with the filters of the 操作记录 page."""
    events = list_events(
        session, actor, entity_type=entity, entity_id=id, plan_id=plan_id, department_id=department_id,
        user_id=user_id, action=action, since=since, until=until, newest_first=newest_first, limit=limit, offset=offset,
    )
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in events]
