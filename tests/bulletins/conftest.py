"""A scripted month of one city plan for the bulletin and 督办单 tests, a logged-in
browser-like client, and where the generated documents are kept for a person to open."""

import shutil
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from service.app import create_app
from service.auth.actor import Actor
from service.clock import FixedClock
from service.config import Settings
from service.indicators import service as indicators
from service.milestones.models import APPROVED, EXTENSION_APPROVED, RETURNED, ExtensionRequest, Milestone
from service.plans.models import Assignment, Measure
from tests.factories import NOW, build_world
from tests.web.conftest import WebClient

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


@pytest.fixture
def browser(session_factory, database_url):
    app = create_app(Settings(database_url=database_url, secret_key="test-secret"), clock=FixedClock(NOW))
    return lambda username: WebClient(app).login(username)


@pytest.fixture
def scripted(session_factory):
    """The city plan with four measures (市知识产权局 leads, 市发展改革委 supports), on 2026-11-02:
    ip's first checkpoint 13 days overdue, its second returned, its third approved in November
    (reported on time) and signed; dev's first extended in November; one indicator at 40 of 100."""
    with session_factory() as session:
        world = build_world(session, measures=4)
        plan_id = world.plans["city"]
        ip, dev = world.departments["ip"].id, world.departments["dev"].id

        def milestones(department_id):
            return session.scalars(select(Milestone).where(Milestone.plan_id == plan_id,
                                                           Milestone.department_id == department_id)
                                   .order_by(Milestone.id)).all()

        late, returned, done, _ = milestones(ip)
        late.due_date = date(2026, 10, 20)
        returned.state = RETURNED
        done.state = APPROVED
        done.submitted_at = datetime(2026, 10, 25, 2, tzinfo=timezone.utc)
        done.approved_at = datetime(2026, 11, 1, 2, tzinfo=timezone.utc)
        session.get(Assignment, done.assignment_id).signed_at = datetime(2026, 10, 20, 2, tzinfo=timezone.utc)
        extended = milestones(dev)[0]
        session.add(ExtensionRequest(
            milestone_id=extended.id, current_due_date=date(2026, 12, 20), new_due_date=date(2027, 1, 31),
            reason="配套资金尚未到位", status=EXTENSION_APPROVED, decided_at=datetime(2026, 11, 1, 3, tzinfo=timezone.utc),
            created_at=datetime(2026, 10, 30, 3, tzinfo=timezone.utc),
        ))
        actor = Actor.system(world.offices["city"].id)
        indicator = indicators.create_indicator(
            session, actor, plan_id,
            {"name": "发明专利授权", "target_value": 100, "unit": "件", "target_date": "2027-12-31", "department_id": ip},
            now=NOW,
        )
        indicators.add_reading(session, actor, indicator.id, value="40", as_of="2026-10-31", now=NOW)
        session.commit()
        items = {
            "late": late.assignment_id, "returned": returned.assignment_id, "done": done.assignment_id,
            "extended": extended.assignment_id,
            "ip_items": session.scalars(select(Assignment.id).join(Assignment.measure).where(
                Measure.plan_id == plan_id, Assignment.department_id == ip).order_by(Assignment.id)).all(),
        }
    return world, plan_id, items


def keep(name: str, data: bytes) -> Path:
    """Write a generated document under test-artifacts/documents/ and, where LibreOffice is
    installed, its PDF beside it, so a person can look at both."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(data)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office:
        subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(ARTIFACTS), str(path)],
                       check=True, capture_output=True, timeout=180)
    return path


def to_pdf(path: Path) -> Path:
    """The PDF `keep` rendered; the test is skipped where LibreOffice is not installed."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice 未安装：跳过 PDF 渲染")
    pdf = path.with_suffix(".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    return pdf
