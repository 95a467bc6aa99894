"""A small multi-office world for tests: a city office with a district office
below it, and an unrelated office, each with departments, users and an active plan.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.models import ROLE_ADMIN, ROLE_DEPARTMENT, ROLE_LEADER, ROLE_OPERATOR, User
from service.auth.passwords import hash_password
from service.auth.service import actor_for_user, issue_token
from service.departments.models import Department
from service.milestones.models import Milestone
from service.offices.models import Office
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai
PASSWORD = "correct-horse-42"
SOURCE = "192.0.2.10"  # the client address of direct calls to the login checks (TEST-NET-1)
# argon2 is slow on purpose; hash once and share it between the test users.
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class World:
    offices: dict[str, Office] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)

    def actor(self, session: Session, username: str) -> Actor:
        return actor_for_user(session, self.users[username])

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def simple_plan(lead: str, support: list[str], deadlines=("2026-12-31",), measures: int = 1) -> dict:
    return {
        "title": f"{lead}测试行动计划",
        "doc_number": "测〔2026〕1号",
        "phases": [{"name": f"第{i + 1}阶段", "deadline": d} for i, d in enumerate(deadlines)],
        "tasks": [
            {
                "number": "1",
                "title": "推进知识产权管理体制机制改革",
                "section": "实施知识产权管理能力提升工程",
                "mandatory": None,
                "measures": [
                    {"text": f"措施{n + 1}。", "lead": [lead], "support": support, "deadline": None}
                    for n in range(measures)
                ],
            }
        ],
        "measures_outside_tasks": [],
    }


def add_user(session: Session, world: World, office: Office, username: str, role: str, department: str | None = None):
    user = User(
        office_id=office.id,
        username=username,
        password_hash=PASSWORD_HASH,
        role=role,
        department_id=world.departments[department].id if department else None,
        created_at=NOW,
    )
    session.add(user)
    session.flush()
    world.users[username] = user
    world.tokens[username] = issue_token(session, user, now=NOW, lifetime=timedelta(days=30))


def add_operator(session: Session, world: World) -> User:
    """The deployment's operator (its account filed under the city office)."""
    add_user(session, world, world.offices["city"], "operator", ROLE_OPERATOR)
    session.commit()
    return world.users["operator"]


def build_world(session: Session, *, measures: int = 1) -> World:
    world = World()
    city = Office(name="广州市知识产权工作领导小组办公室")
    session.add(city)
    session.flush()
    district = Office(name="越秀区知识产权工作领导小组办公室", parent_id=city.id)
    other = Office(name="深圳市知识产权工作领导小组办公室")
    session.add_all([district, other])
    session.flush()
    world.offices = {"city": city, "district": district, "other": other}
    for key, office, name in [
        ("ip", city, "市知识产权局"),
        ("dev", city, "市发展改革委"),
        ("yuexiu_ip", district, "越秀区知识产权局"),
        ("sz_ip", other, "深圳市市场监管局"),
    ]:
        department = Department(office_id=office.id, name=name, emails=[f"{key}@example.cn"], created_at=NOW)
        session.add(department)
        session.flush()
        world.departments[key] = department
    add_user(session, world, city, "city_admin", ROLE_ADMIN)
    add_user(session, world, city, "city_leader", ROLE_LEADER)
    add_user(session, world, city, "ip_user", ROLE_DEPARTMENT, "ip")
    add_user(session, world, city, "dev_user", ROLE_DEPARTMENT, "dev")
    add_user(session, world, district, "district_admin", ROLE_ADMIN)
    add_user(session, world, district, "yuexiu_user", ROLE_DEPARTMENT, "yuexiu_ip")
    add_user(session, world, other, "other_admin", ROLE_ADMIN)
    add_user(session, world, other, "sz_user", ROLE_DEPARTMENT, "sz_ip")

    calendar = WorkdayCalendar()
    for key, office, lead, support in [
        ("city", city, "市知识产权局", ["市发展改革委"]),
        ("district", district, "越秀区知识产权局", []),
        ("other", other, "深圳市市场监管局", []),
    ]:
        actor = Actor.system(office.id)
        created = create_plan_from_parsed(session, actor, simple_plan(lead, support, measures=measures), now=NOW)
        activate_plan(session, actor, created.plan.id, now=NOW, calendar=calendar, support_lead_workdays=5)
        world.plans[key] = created.plan.id
    session.commit()
    return world


def milestones_of(session: Session, world: World, department: str) -> list[Milestone]:
    return (
        session.query(Milestone)
        .filter_by(department_id=world.departments[department].id)
        .order_by(Milestone.id)
        .all()
    )



