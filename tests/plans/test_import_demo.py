"""`duban demo`: loads once, prints credentials, and a demo user can log in."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.auth.models import User
from service.clock import FixedClock
from service.config import Settings
from service.database import make_engine, make_session_factory
from service.demo import DEMO_PASSWORD, PHASE_OFFSETS_DAYS, load_demo
from service.departments.models import Department
from service.milestones.models import Milestone
from service.plans.models import Phase, Plan
from tests.factories import NOW


def _counts(url: str) -> dict:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Plan, Department, User, Milestone)
        }
        counts["states"] = dict(
            session.execute(select(Milestone.state, func.count()).group_by(Milestone.state)).all()
        )
        counts["phases"] = sorted(session.scalars(select(Phase.deadline)))
        counts["unconfirmed"] = session.scalar(select(func.count(Department.id)).where(Department.confirmed.is_(False)))
    engine.dispose()
    return counts


def test_demo_loads_once_and_its_users_can_log_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    settings = Settings(database_url=url)
    first = load_demo(settings, clock=FixedClock(NOW))
    counts = _counts(url)
    assert counts["plans"] == 1 and counts["departments"] == 47 and counts["unconfirmed"] == 0
    assert counts["milestones"] == 179 * 4
    assert counts["users"] == 6
    # Four items of four checkpoints each: signing an item (by 签收 or by a report) signs all its
    # checkpoints, so the other three of each of the four are acknowledged too (4 + 3 × 3 = 13).
    assert {s: counts["states"][s] for s in ("acknowledged", "submitted", "approved", "returned")} == {
        "acknowledged": 13, "submitted": 1, "approved": 1, "returned": 1,
    }
    today = NOW.astimezone(settings.tz).date()
    assert counts["phases"] == [today + timedelta(days=d) for d in PHASE_OFFSETS_DAYS]
    assert any(DEMO_PASSWORD in line for line in first)
    assert any("2017–2020" in line for line in first)

    second = load_demo(settings, clock=FixedClock(NOW))
    assert _counts(url) == counts
    assert any(DEMO_PASSWORD in line for line in second)
    assert [line for line in second if "zscqj" in line] == [line for line in first if "zscqj" in line]

    with TestClient(create_app(settings, clock=FixedClock(NOW))) as client:
        for username in ("office", "zscqj"):
            token = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        mine = client.get("/api/v1/milestones", headers=headers)
        assert mine.status_code == 200 and mine.json()["items"]
