"""A draft plan from the parser's JSON shape: the plan's tree, then its indicators."""

from datetime import datetime

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.indicators.service import add_parsed_indicators
from service.plans.service import CreatedPlan, create_draft


def create_plan_from_parsed(
    session: Session, actor: Actor, data: dict, *, now: datetime, source_text: str | None = None
) -> CreatedPlan:
    """A draft plan from the JSON shape `duban plan parse` prints, with its indicators
    assigned to the units the plan names."""
    created = create_draft(session, actor, data, now=now, source_text=source_text)
    add_parsed_indicators(session, created.plan, data.get("indicators"), department_of=created.department_of)
    return created
