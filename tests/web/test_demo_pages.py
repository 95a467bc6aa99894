"""Every page renders on the demo database (`duban demo`) for the office, the
leader and a department user, and on an empty database."""

import re

import pytest
from sqlalchemy import func, select

from service.app import create_app
from service.bootstrap import service_database
from service.clock import FixedClock
from service.config import Settings
from service.departments.models import Department
from service.demo import ADMIN_USERNAME, DEMO_PASSWORD, LEADER_USERNAME, load_demo
from service.milestones.models import Milestone
from service.plans.models import Assignment, Plan
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW
from tests.web.conftest import WebClient

DEPARTMENT_USERNAME = "zscqj"  # 市知识产权局 in the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}", secret_key="demo-test",
        login_attempts_per_minute=100,
    )
    clock = FixedClock(NOW)
    load_demo(settings, clock)
    with service_database(settings) as (session_factory, _):
        # One scan queues the assignment notices, so milestone pages have notices to list.
        run_scan(session_factory, settings, WorkdayCalendar(), NOW)
        with session_factory() as session:
            plan_id = session.scalars(select(Plan.id)).one()
            own = session.scalars(
                select(Milestone.id).join(Department, Department.id == Milestone.department_id)
                .where(Department.name == "市知识产权局").order_by(Milestone.id)
            ).all()
            foreign = session.scalars(
                select(Milestone.id).where(Milestone.id.not_in(own)).order_by(Milestone.id)
            ).first()
    app = create_app(settings, clock=clock)
    return app, plan_id, own, foreign


def _ok(client: WebClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert "服务器内部错误" not in response.text
    return response.text


def test_office_pages_on_the_demo(demo):
    app, plan_id, own, _ = demo
    client = WebClient(app).login(ADMIN_USERNAME, DEMO_PASSWORD)
    for path in ["/", "/plans", "/plans/import", "/reviews", "/departments", "/notifications", "/users",
                 f"/plans/{plan_id}", f"/plans/{plan_id}/reminder-policy", f"/bulletins/{plan_id}"]:
        _ok(client, path)
    directory = _ok(client, "/departments")
    first = re.search(r'href="/departments/(\d+)"', directory).group(1)
    assert 'action="/departments/%s"' % first in _ok(client, f"/departments/{first}")
    page = _ok(client, f"/milestones/{own[0]}")
    assert "交办通知" in page and 'data-notification="' in page


def test_leader_pages_on_the_demo_are_read_only(demo):
    app, plan_id, own, _ = demo
    client = WebClient(app).login(LEADER_USERNAME, DEMO_PASSWORD)
    for path in ["/", "/plans", "/reviews", "/departments", f"/plans/{plan_id}", f"/milestones/{own[0]}"]:
        _ok(client, path)
    policy = _ok(client, f"/plans/{plan_id}/reminder-policy")
    assert "disabled" in policy and "撤销所有链接" not in policy
    assert "/users" not in _ok(client, "/")
    assert client.get("/users").status_code == 403


def test_department_pages_on_the_demo(demo):
    app, plan_id, own, foreign = demo
    client = WebClient(app).login(DEPARTMENT_USERNAME, DEMO_PASSWORD)
    for path in ["/inbox", "/inbox?status=unsigned", "/plans", f"/plans/{plan_id}"]:
        _ok(client, path)
    directory = _ok(client, "/departments")
    assert "市知识产权局" in directory and "市编办" not in directory and "添加单位" not in directory
    page = _ok(client, f"/milestones/{own[0]}")
    assert "交办通知" in page
    assert client.get(f"/milestones/{foreign}").status_code == 404
    assert client.get("/users").status_code == 403


def test_the_demo_units_work_list_has_one_row_per_measure_it_is_assigned(demo):
    app, plan_id, own, _ = demo
    client = WebClient(app).login(DEPARTMENT_USERNAME, DEMO_PASSWORD)
    with service_database(app.state.settings) as (session_factory, _):
        with session_factory() as session:
            measures = session.scalar(
                select(func.count(func.distinct(Assignment.measure_id)))
                .join(Department, Department.id == Assignment.department_id).where(Department.name == "市知识产权局")
            )
    # One row per measure (42 in the demo plan), not one per measure and phase (168).
    assert (measures, len(own)) == (42, 168)
    inbox = _ok(client, "/inbox")
    assert f"共 {measures} 件" in inbox and "全部签收（" in inbox
    pages = [_ok(client, f"/inbox?page={n}") for n in range(1, 4)]
    rows = [r for page in pages for r in re.findall(r'data-assignment="(\d+)"', page)]
    assert len(rows) == len(set(rows)) == measures
