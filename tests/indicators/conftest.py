import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.indicators import service
from tests.factories import NOW


@pytest.fixture
def indicators(session_factory, world) -> dict[str, int]:
    """One indicator per office's plan: the city's and the district's assigned to
    their 知识产权局, the other office's to nobody."""
    ids = {}
    with session_factory() as session:
        for key, department in (("city", "ip"), ("district", "yuexiu_ip"), ("other", None)):
            actor = Actor.system(world.offices[key].id)
            indicator = service.create_indicator(
                session, actor, world.plans[key],
                {"name": "发明专利授权", "target_value": 100, "unit": "件", "target_date": "2027-12-31",
                 "department_id": world.departments[department].id if department else None},
                now=NOW,
            )
            ids[key] = indicator.id
        session.commit()
    return ids


def audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))
