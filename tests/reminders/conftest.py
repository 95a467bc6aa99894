"""A small plan across the 2026 National Day holiday, with its channels."""

from datetime import datetime, timezone

import pytest

from service.auth.actor import Actor
from service.config import Settings
from service.delivery.models import Channel
from service.departments.models import Department
from service.milestones.models import Milestone
from service.offices.models import Office
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar

ACTIVATED = datetime(2026, 9, 1, 2, tzinfo=timezone.utc)
CALENDAR = WorkdayCalendar()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret", base_url="https://duban.example.cn")


@pytest.fixture
def reminder_world(session_factory):
    """One office, two departments (lead with a WeCom robot, two addresses and a
    head; support with one address), office and leader robots, and an active plan
    whose one measure is due 2026-10-09."""
    with session_factory() as session:
        office = Office(name="广州市知识产权工作领导小组办公室")
        session.add(office)
        session.flush()
        lead = Department(
            office_id=office.id, name="市知识产权局", emails=["ip@example.cn", "ip2@example.cn"],
            head_name="张局长", head_email="head@example.cn", head_mobile="13800000001",
        )
        support = Department(office_id=office.id, name="市发展改革委", emails=["dev@example.cn"])
        session.add_all([lead, support])
        session.flush()
        session.add_all([
            Channel(office_id=office.id, department_id=lead.id, audience="department", type="wecom", target="lead-key"),
            Channel(office_id=office.id, department_id=None, audience="office", type="wecom", target="office-key"),
            Channel(office_id=office.id, department_id=None, audience="leader", type="dingtalk", target="leader-token"),
        ])
        actor = Actor.system(office.id)
        data = {
            "title": "知识产权强市建设行动计划",
            "phases": [{"name": "实施阶段", "deadline": "2026-10-09"}],
            "tasks": [{"number": "1", "title": "任务一", "measures": [
                {"text": "建立知识产权工作联席会议制度。", "lead": ["市知识产权局"], "support": ["市发展改革委"]}
            ]}],
        }
        plan = create_plan_from_parsed(session, actor, data, now=ACTIVATED).plan
        activate_plan(session, actor, plan.id, now=ACTIVATED, calendar=CALENDAR, support_lead_workdays=0)
        session.commit()
        lead_milestone = session.query(Milestone).filter_by(department_id=lead.id).one()
        return {
            "office_id": office.id, "plan_id": plan.id, "lead_id": lead.id, "support_id": support.id,
            "milestone_id": lead_milestone.id, "actor": actor,
        }


def add_measures(session_factory, reminder_world, count: int, due: str = "2026-10-20") -> None:
    """More milestones for the lead department, due later, activated already."""
    from service.plans.models import Assignment, Measure

    with session_factory.begin() as session:
        for n in range(count):
            measure = Measure(plan_id=reminder_world["plan_id"], position=100 + n, text=f"第{n + 1}项补充措施：完善知识产权统计监测和信息发布制度。", deadline=None)
            session.add(measure)
            session.flush()
            assignment = Assignment(measure_id=measure.id, department_id=reminder_world["lead_id"], role="lead")
            session.add(assignment)
            session.flush()
            session.add(Milestone(
                assignment_id=assignment.id, plan_id=reminder_world["plan_id"], department_id=reminder_world["lead_id"],
                due_date=datetime.fromisoformat(due).date(), state="acknowledged", created_at=ACTIVATED,
                next_reminder_at=ACTIVATED,
            ))
