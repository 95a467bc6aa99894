"""`duban demo`: the Guangzhou plan, imported, confirmed and activated in the
default office, with users and a few milestones already moving, so a new
install has something to look at. Running it again changes nothing."""

from datetime import timedelta
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.auth.models import ROLE_ADMIN, ROLE_DEPARTMENT, ROLE_LEADER, User
from service.auth.service import actor_for_user, create_user
from service.bootstrap import open_database
from service.clock import Clock, SystemClock
from service.config import Settings
from service.departments.models import Department
from service.holidays.source import load_calendars
from service.milestones import service as workflow
from service.milestones.models import Milestone
from service.offices.service import ensure_default_office
from service.flows.importing import apply_department_mapping, import_plan
from service.plans.models import ROLE_LEAD, Assignment, Plan
from service.flows.activation import activate_plan

DEMO_PASSWORD = "duban-demo-2026"
ADMIN_USERNAME = "office"
LEADER_USERNAME = "leader"
EMAIL_DOMAIN = "demo.duban.local"
# The source document's phases (2017–2020) are long past; the demo moves them to
# these offsets from today so that reminders and the dashboard have work ahead.
PHASE_OFFSETS_DAYS = (5, 30, 90, 365)
DEPARTMENT_USERS = 4
# Pinyin initials, so demo logins and mailboxes are readable.
LOGINS = {
    "市知识产权局": "zscqj",
    "市编办": "bb",
    "市工商局": "gsj",
    "市科技创新委": "kcw",
    "市发展改革委": "fgw",
    "市版权局": "bqj",
    "广州开发区管委会": "kfq",
    "市工业和信息化委": "gxw",
    "市教育局": "jyj",
    "市财政局": "czj",
}


def _demo_text() -> str:
    return files("service.plans").joinpath("demo/guangzhou_2018.txt").read_text(encoding="utf-8")


def _credentials(session: Session, office_id: int, settings: Settings) -> list[str]:
    users = session.scalars(select(User).where(User.office_id == office_id).order_by(User.id)).all()
    names = {d.id: d.name for d in session.scalars(select(Department).where(Department.office_id == office_id))}
    lines = [f"打开 {settings.base_url} ，演示账号（统一密码 {DEMO_PASSWORD}）："]
    for user in users:
        role = {ROLE_ADMIN: "办公室管理员", ROLE_LEADER: "领导（只读）"}.get(user.role) or names.get(user.department_id, "")
        lines.append(f"  {user.username:8} {role}")
    return lines


def _contacts(department: Department) -> dict:
    login = LOGINS.get(department.name, f"dept{department.id}")
    return {
        "emails": [f"{login}@{EMAIL_DOMAIN}"],
        "head_name": f"{department.name}分管领导",
        "head_email": f"{login}.head@{EMAIL_DOMAIN}",
    }


def _shift_phases(session: Session, actor: Actor, plan: Plan, today, now) -> None:
    before = {p.name: p.deadline.isoformat() for p in plan.phases}
    for phase, days in zip(plan.phases, PHASE_OFFSETS_DAYS):
        phase.deadline = today + timedelta(days=days)
    plan.period_end = max(p.deadline for p in plan.phases)
    record(
        session, actor, "plan.demo_phases", "plan", plan.id,
        before=before, after={p.name: p.deadline.isoformat() for p in plan.phases}, now=now,
    )


def _lead_departments(session: Session, plan: Plan) -> list[Department]:
    ids = list(dict.fromkeys(a.department_id for m in plan.measures for a in m.assignments if a.role == ROLE_LEAD))
    return [session.get(Department, i) for i in ids]


def _move_milestones(session: Session, admin: User, department_user: User, now) -> None:
    """One acknowledged, one submitted, one approved, one returned."""
    office, department = actor_for_user(session, admin), actor_for_user(session, department_user)
    acknowledged, submitted, approved, returned = session.scalars(
        select(Milestone)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .where(Milestone.department_id == department_user.department_id, Assignment.role == ROLE_LEAD)
        .order_by(Milestone.due_date, Milestone.id)
        .limit(4)
    ).all()
    workflow.acknowledge(session, department, acknowledged.id, now=now)
    for milestone, percent in ((submitted, 40), (approved, 100), (returned, 60)):
        workflow.submit_report(session, department, milestone.id, text="已按计划推进，详见附件。", percent=percent, now=now)
    workflow.review(session, office, approved.id, decision="approve", comment="同意。", now=now, confirm_below_100=True)
    workflow.review(session, office, returned.id, decision="return", comment="请补充具体数据。", now=now)


def load_demo(settings: Settings, clock: Clock | None = None) -> list[str]:
    now = (clock or SystemClock()).now()
    today = now.astimezone(settings.tz).date()
    with open_database(settings) as session:
        office = ensure_default_office(session)
        if session.scalars(select(User.id).where(User.username == ADMIN_USERNAME)).first() is not None:
            return ["演示数据已存在，未重复创建。", *_credentials(session, office.id, settings)]
        system = Actor.system(office.id)
        result = import_plan(session, system, text=_demo_text(), filename="guangzhou_2018.txt", now=now)
        plan = result.plan
        for name in result.preview.unmatched:
            department = session.get(Department, name.department_id)
            for key, value in _contacts(department).items():
                setattr(department, key, value)
        apply_department_mapping(session, system, plan.id, {u.name: None for u in result.preview.unmatched}, now=now)
        _shift_phases(session, system, plan, today, now)
        milestones = activate_plan(
            session, system, plan.id, now=now, calendar=load_calendars(session, settings).for_office(system.office_id),
            support_lead_workdays=settings.support_lead_workdays,
        )
        # The printed demo password is used as is (README quick start): not a temporary one.
        demo = {"password": DEMO_PASSWORD, "must_change_password": False, "now": now}
        admin = create_user(session, system, username=ADMIN_USERNAME, role=ROLE_ADMIN, display_name="督查室", **demo)
        create_user(session, system, username=LEADER_USERNAME, role=ROLE_LEADER, display_name="分管副市长", **demo)
        department_users = [
            create_user(
                session, system, username=LOGINS[d.name], role=ROLE_DEPARTMENT, department_id=d.id,
                display_name=d.name, **demo,
            )
            for d in [d for d in _lead_departments(session, plan) if d.name in LOGINS][:DEPARTMENT_USERS]
        ]
        _move_milestones(session, admin, department_users[0], now)
        return [
            f"已导入演示计划《{plan.title}》：{len(plan.tasks)} 项任务、{len(plan.measures)} 条措施、"
            f"{len(result.preview.unmatched) + len(result.preview.matched)} 个单位、{milestones} 个节点。",
            "注意：原文推进阶段为 2017–2020 年，演示已将各阶段截止日期改为今天起 "
            + "、".join(f"+{d}" for d in PHASE_OFFSETS_DAYS) + " 天。",
            *_credentials(session, office.id, settings),
        ]
