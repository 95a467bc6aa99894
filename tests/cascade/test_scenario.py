"""Issue 13's scenario: the Guangzhou plan issued by the city to three districts (下发), one
district decomposing its share into two of its bureaus, progress rolling up, the city returning
the district's 办结申请 once and then approving it, and each level's ladder reaching its own robot."""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from service.auth.models import ROLE_DEPARTMENT
from service.config import Settings
from service.delivery.dispatcher import dispatch_once
from service.delivery.models import Notification
from service.delivery.service import create_channel
from service.departments import service as directory
from service.departments.models import KIND_GROUP, Department
from service.errors import Invalid
from service.flows import cascade
from service.flows.activation import activate_plan, activation_summary
from service.flows.importing import import_plan
from service.milestones import assignments
from service.milestones import service as workflow
from service.milestones.models import Milestone
from service.milestones.stats import dashboard_figures
from service.plans.models import Assignment, Measure
from service.reminders.models import SentReminder
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.cascade.conftest import office_with_children
from tests.factories import World, add_user

SEED = Path(__file__).resolve().parents[1] / "data" / "seeds" / "003_36280e565d71b47e.txt"
TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()
DISTRICTS = {"yuexiu": "越秀区", "tianhe": "天河区", "nansha": "南沙区"}


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), TZ)


T0 = at(date(2017, 3, 1))


def _offices_and_people(session) -> World:
    world = office_with_children(session, "city", "广州市知识产权工作领导小组办公室", DISTRICTS, T0)
    for key, name in (("yx_ip", "越秀区知识产权局"), ("yx_sci", "越秀区科技工业和信息化局")):
        world.departments[key] = Department(office_id=world.offices["yuexiu"].id, name=name, created_at=T0)
        session.add(world.departments[key])
        session.flush()
        add_user(session, world, world.offices["yuexiu"], f"{key}_user", ROLE_DEPARTMENT, key)
    session.commit()
    return world


@pytest.fixture
def settings(database_url, robot_receiver) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret", base_url="https://duban.example.cn",
                    wecom_base_url=robot_receiver.base_url, webhook_allowed_hosts=["127.0.0.1", "localhost"])


def test_the_city_issues_to_three_districts_and_the_progress_rolls_up(
    session, session_factory, settings, notifier_config, robot_receiver
):
    world = _offices_and_people(session)
    city = world.actor(session, "city_admin")
    yuexiu = world.actor(session, "yuexiu_admin")

    # The city imports and starts the Guangzhou plan, 各区政府 mapped once to its three districts.
    plan = import_plan(session, city, text=SEED.read_text(encoding="utf-8"), now=T0).plan
    # The importer's new names, confirmed as the mapping page would.
    session.execute(update(Department).where(Department.office_id == city.office_id).values(confirmed=True))
    units = {d.name: d for d in session.scalars(select(Department).where(Department.office_id == city.office_id))}
    group = units["各区政府"]
    assert group.kind == KIND_GROUP
    for key, name in DISTRICTS.items():
        directory.set_child_offices(session, city, units[f"{name}政府"].id, [world.offices[key].id], now=T0)
    directory.set_child_offices(session, city, group.id, [world.offices[k].id for k in DISTRICTS], now=T0)
    naming_group = [m.id for m in plan.measures if any(a.department_id == group.id for a in m.assignments)]
    assert len(naming_group) == 12
    summary = activation_summary(session, city, plan.id)  # what the confirmation says starting creates
    activate_plan(session, city, plan.id, now=T0, calendar=CALENDAR, support_lead_workdays=5)
    session.commit()
    assert summary.items == session.scalar(
        select(func.count()).select_from(Assignment).join(Measure, Measure.id == Assignment.measure_id)
        .where(Measure.plan_id == plan.id)
    )
    assert summary.milestones == session.scalar(select(func.count()).where(Milestone.plan_id == plan.id))

    district_units = {key: units[f"{name}政府"] for key, name in DISTRICTS.items()}
    for measure_id in naming_group:
        assigned = set(session.scalars(select(Assignment.department_id).where(Assignment.measure_id == measure_id)))
        assert group.id not in assigned and {u.id for u in district_units.values()} <= assigned

    # 上级交办: each district sees what was issued to it, and nothing of its siblings'.
    issued = cascade.issued_to_office(session, yuexiu, today=T0.date())
    assert {i.item.assignment.department_id for i in issued} == {district_units["yuexiu"].id}
    assert {i.item.assignment.measure_id for i in issued} >= set(naming_group)
    assert {i.office.name for i in issued} == {"广州市知识产权工作领导小组办公室"}
    share = next(i for i in issued if i.item.assignment.measure_id == naming_group[0])
    other = next(i for i in issued if i.item.assignment.measure_id == naming_group[1])
    assert share.item.assignment.role == "support" and len(share.item.milestones) == 4
    assert cascade.sign_issued(session, yuexiu, share.item.assignment.id, now=T0) == 1
    assert cascade.sign_issued(session, yuexiu, share.item.assignment.id, now=T0) == 0

    # 分解落实 into the district's own plan: two bureaus; a later deadline needs a reason.
    lead, support = world.departments["yx_ip"].id, world.departments["yx_sci"].id
    measure = cascade.decompose(
        session, yuexiu, share.item.assignment.id, plan_id=None, plan_title="越秀区落实知识产权强市行动计划工作方案",
        phases=[{"name": "落实阶段", "deadline": "2017-06-20"}], text="建立区知识产权工作联席会议制度。", deadline=None,
        lead=[lead], support=[support], late_reason=None, now=T0, calendar=CALENDAR, support_lead_workdays=0,
    )
    with pytest.raises(Invalid, match="晚于上级要求"):
        cascade.decompose(
            session, yuexiu, other.item.assignment.id, plan_id=measure.plan_id, plan_title=None, phases=[],
            text="完善区级知识产权统计制度。", deadline=date(2021, 3, 31), lead=[lead], support=[], late_reason=None, now=T0,
            calendar=CALENDAR, support_lead_workdays=0,
        )
    late = cascade.decompose(
        session, yuexiu, other.item.assignment.id, plan_id=measure.plan_id, plan_title=None, phases=[],
        text="完善区级知识产权统计制度。", deadline=date(2021, 3, 31), lead=[lead], support=[],
        late_reason="区统计系统改造需至2021年一季度完成", now=T0, calendar=CALENDAR, support_lead_workdays=0,
    )
    activate_plan(session, yuexiu, measure.plan_id, now=T0, calendar=CALENDAR, support_lead_workdays=0)
    session.commit()

    # Each level's robot: the district's office channel (its admins'), and a bureau's own.
    office_channel = create_channel(session, yuexiu, notifier_config, audience="office", department_id=None,
                                    type="wecom", target="yuexiu-office-key", now=T0)
    bureau_channel = create_channel(session, yuexiu, notifier_config, audience="department", department_id=lead,
                                    type="wecom", target="yuexiu-ip-key", now=T0)
    session.commit()
    day = date(2017, 6, 14)
    while day <= date(2017, 7, 5):
        for hour in (9, 15):  # twice a day: nothing goes out twice
            run_scan(session_factory, settings, CALENDAR, at(day, hour))
            dispatch_once(session_factory, settings, now=at(day, hour) + timedelta(minutes=1))
        day += timedelta(days=1)
    session.expire_all()
    parent_first = share.item.milestones[0].id
    child_lead = session.scalars(
        select(Assignment).where(Assignment.measure_id == measure.id, Assignment.department_id == lead)
    ).one()
    child_first = workflow.list_milestones(session, world.actor(session, "yx_ip_user"), today=T0.date())[0][0]
    assert child_first.assignment_id == child_lead.id

    def sent(milestone_id: int, step: str) -> list[str]:
        return list(session.scalars(select(SentReminder.recipient).where(
            SentReminder.milestone_id == milestone_id, SentReminder.step == step)))

    assert sent(parent_first, "T+3") == [f"channel:{office_channel.id}"]
    assert sent(child_first.id, "T+3") == [f"channel:{bureau_channel.id}"]
    # Every notification went out once, each to its own level's robot.
    for channel, key in ((office_channel, "yuexiu-office-key"), (bureau_channel, "yuexiu-ip-key")):
        rows = session.scalars(select(Notification).where(Notification.channel_id == channel.id)).all()
        assert rows and all(r.status == "sent" for r in rows)
        assert len(robot_receiver.received(kind="wecom", key=key)) == len(rows)
    bureau_rows = session.scalars(select(Notification).where(Notification.channel_id == bureau_channel.id)).all()
    assert all(m["id"] != parent_first for r in bureau_rows for m in r.event.get("milestones", []))

    # The bureaus report; the district closes their checkpoints.
    now = at(date(2017, 7, 6))
    bureau_milestones = []
    for key in ("yx_ip_user", "yx_sci_user"):
        bureau = world.actor(session, key)
        item = assignments.list_assignments(session, bureau, today=now.date(), due_soon_until=now.date(),
                                            plan_id=measure.plan_id)[0][0]
        assignments.submit_progress(session, bureau, item.assignment.id, text="联席会议制度已起草。", percent=80, now=now)
        for m in item.milestones:
            workflow.submit_report(session, bureau, m.id, text="联席会议制度已印发。", percent=100, now=now)
            bureau_milestones.append(m.id)
    for milestone_id in bureau_milestones:
        workflow.review(session, yuexiu, milestone_id, decision="approve", comment=None, now=now)
    session.commit()

    # The district reports up as its unit in the city's plan, and requests 办结.
    parent_item = share.item.assignment.id
    assignments.submit_progress(session, yuexiu, parent_item, text="已分解至区知识产权局、区科工信局落实。", percent=100, now=now)
    for m in share.item.milestones:
        workflow.submit_report(session, yuexiu, m.id, text="各阶段任务已完成。", percent=100, now=now)
    session.commit()
    # The city returns one once, then approves everything.
    workflow.review(session, city, parent_first, decision="return", comment="请补充联席会议纪要。", now=now)
    session.commit()
    with pytest.raises(Exception):
        workflow.review(session, yuexiu, parent_first, decision="approve", comment=None, now=now)
    session.rollback()
    workflow.submit_report(session, yuexiu, parent_first, text="已补充会议纪要。", percent=100, now=now)
    for m in share.item.milestones:
        workflow.review(session, city, m.id, decision="approve", comment=None, now=now)
    session.commit()

    # The city's row per district for the measure: signed, decomposed, closed, with the computed figure.
    rows = {r.office.id: r for r in cascade.issued_rows(session, city, naming_group[0], today=now.date())}
    assert set(rows) == {world.offices[k].id for k in DISTRICTS}
    mine = rows[world.offices["yuexiu"].id]
    assert mine.item.assignment.signed_at is not None and mine.item.current is None
    assert mine.item.latest_progress.percent == 100
    assert (mine.figures.measures, mine.figures.checkpoints, mine.figures.closed, mine.figures.overdue) == (1, 2, 2, 0)
    for key in ("tianhe", "nansha"):
        row = rows[world.offices[key].id]
        assert row.item.assignment.signed_at is None and row.measures == [] and row.item.current is not None
    late_row = {r.office.id: r for r in cascade.issued_rows(session, city, naming_group[1], today=now.date())}
    assert [m.late_reason for m in late_row[world.offices["yuexiu"].id].measures] == ["区统计系统改造需至2021年一季度完成"]
    assert late.late_reason

    # Each district's share across the plan.
    shares = {s.office.id: s for s in cascade.plan_shares(session, city, plan.id, today=now.date())}
    assert set(shares) == {world.offices[k].id for k in DISTRICTS}
    mine = shares[world.offices["yuexiu"].id]
    assert (mine.signed, mine.decomposed, mine.closed) == (2, 2, 1)  # 分解落实 signs too and mine.items == len(issued)
    assert mine.overdue == mine.items - 1  # the others' 2017 deadlines have passed
    assert (shares[world.offices["tianhe"].id].signed, shares[world.offices["tianhe"].id].decomposed) == (0, 0)

    # The city's dashboard ranks the districts as it ranks units.
    figures = dashboard_figures(session, city, [plan.id], now.date(), TZ)
    ranks = {r.department_id: r for r in figures.ranking}
    assert {u.id for u in district_units.values()} <= set(ranks)
    assert ranks[district_units["yuexiu"].id].approved == 4
    assert ranks[district_units["tianhe"].id].approved == 0
