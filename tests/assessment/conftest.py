"""A scripted year of one plan (2026) in the city office, for scoring tests.

Plan 《2026年知识产权强市建设行动计划》, activated Monday 2 March 2026 09:00 (Shanghai),
quarterly progress reports, phases 上半年 (due Tue 30 June) and 全年 (due Mon 30 November):

  A1  task 1 (必做)  措施甲  lead 市知识产权局 (ip)
  A2  task 2         措施乙  lead 市发展改革委 (dev)
  A3  task 2         措施丙  lead ip, support dev (A4; support checkpoints fall due with the lead's)

The default reminder policy asks for signing 2 workdays after issue: by Wednesday 4 March.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.auth.actor import Actor
from service.clock import FixedClock
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.indicators.service import add_reading, create_indicator
from service.milestones.assignments import sign, submit_progress
from service.milestones.models import Milestone
from service.milestones.service import (
    decide_extension,
    request_extension,
    review,
    submit_report,
)
from service.plans.models import Assignment
from service.plans.service import set_reporting_cycle
from service.workdays import WorkdayCalendar
from tests.factories import World
from tests.web.conftest import client_factory, web_settings  # noqa: F401 (fixtures for the page tests)

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def at(day: str, hour: int = 10) -> datetime:
    """A local (Shanghai) time of day as the instant the services are told."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


PLAN = {
    "title": "2026年知识产权强市建设行动计划",
    "doc_number": "穗知〔2026〕3号",
    "phases": [{"name": "上半年", "deadline": "2026-06-30"}, {"name": "全年", "deadline": "2026-11-30"}],
    "tasks": [
        {"number": "1", "title": "实施专利导航工程", "section": "重点任务", "mandatory": True,
         "measures": [{"text": "措施甲。", "lead": ["市知识产权局"], "support": [], "deadline": None}]},
        {"number": "2", "title": "推进商标品牌建设", "section": "重点任务", "mandatory": None,
         "measures": [
             {"text": "措施乙。", "lead": ["市发展改革委"], "support": [], "deadline": None},
             {"text": "措施丙。", "lead": ["市知识产权局"], "support": ["市发展改革委"], "deadline": None},
         ]},
    ],
    "measures_outside_tasks": [],
}


@dataclass
class Year:
    plan_id: int
    items: dict[str, Assignment]
    checkpoints: dict[str, Milestone]  # "A1P1": item A1, phase 上半年


def script_year(session, world: World) -> Year:
    admin = world.actor(session, "city_admin")
    ip, dev = world.actor(session, "ip_user"), world.actor(session, "dev_user")
    system = Actor.system(world.offices["city"].id)
    created = create_plan_from_parsed(session, system, PLAN, now=at("2026-02-20"))
    plan_id = created.plan.id
    set_reporting_cycle(session, system, plan_id, cycle="quarterly", day=None, now=at("2026-02-20"))
    activate_plan(session, system, plan_id, now=at("2026-03-02", 9), calendar=CALENDAR, support_lead_workdays=0)
    session.flush()
    rows = list(session.scalars(select(Assignment).join(Assignment.measure).where(
        Assignment.measure.has(plan_id=plan_id)).order_by(Assignment.id)))
    a1, a2, a3, a4 = rows
    items = {"A1": a1, "A2": a2, "A3": a3, "A4": a4}
    checkpoints = {}
    for name, item in items.items():
        for phase, m in enumerate(session.scalars(select(Milestone).where(
                Milestone.assignment_id == item.id).order_by(Milestone.due_date)), start=1):
            checkpoints[f"{name}P{phase}"] = m

    def report(who, key, day):
        submit_report(session, who, checkpoints[key].id, text="已完成。", percent=100, now=at(day))

    def approve(key, day):
        review(session, admin, checkpoints[key].id, decision="approve", comment=None, now=at(day, 16))

    def progress(who, item, day):
        submit_progress(session, who, items[item].id, text="本季度进展。", percent=50, now=at(day))

    # 签收: A1 on Tue 3 Mar, A2 and A4 on the deadline, A3 late on Mon 9 Mar.
    sign(session, ip, [a1], now=at("2026-03-03"))
    sign(session, dev, [a2, a4], now=at("2026-03-04"))
    sign(session, ip, [a3], now=at("2026-03-09"))

    # Progress reports, quarterly: A3 misses Q2 and Q4; A4 closes in September and owes no Q4.
    for day in ("2026-03-20", "2026-06-10", "2026-09-10", "2026-11-25"):
        progress(ip, "A1", day)
    for day in ("2026-03-20", "2026-06-10", "2026-09-10", "2026-12-10"):
        progress(dev, "A2", day)
    for day in ("2026-03-25", "2026-09-15"):
        progress(ip, "A3", day)
    for day in ("2026-03-25", "2026-06-12", "2026-09-08"):
        progress(dev, "A4", day)

    # Checkpoints.
    report(ip, "A1P1", "2026-06-26"); approve("A1P1", "2026-06-29")  # noqa: E702
    report(ip, "A1P2", "2026-12-03"); approve("A1P2", "2026-12-04")  # noqa: E702 (3 workdays late)
    report(ip, "A3P1", "2026-06-29")
    review(session, admin, checkpoints["A3P1"].id, decision="return", comment="材料不全", now=at("2026-07-01"))
    report(ip, "A3P1", "2026-07-03"); approve("A3P1", "2026-07-06")  # noqa: E702 (3 workdays late)
    extension = request_extension(session, ip, checkpoints["A3P2"].id, new_due_date=date(2026, 12, 14),
                                  reason="需等待年度数据", now=at("2026-11-20"))
    decide_extension(session, admin, extension.id, approve=True, comment=None, now=at("2026-11-23"))
    report(ip, "A3P2", "2026-12-10"); approve("A3P2", "2026-12-11")  # noqa: E702
    report(dev, "A2P1", "2026-06-30"); approve("A2P1", "2026-07-02")  # noqa: E702
    # A2P2 (due 30 Nov) is never reported.
    report(dev, "A4P1", "2026-06-15"); approve("A4P1", "2026-06-16")  # noqa: E702
    report(dev, "A4P2", "2026-09-10"); approve("A4P2", "2026-09-15")  # noqa: E702

    # Indicators, due at the year's end; a reading dated after it does not count.
    for name, unit, target, department, readings in (
        ("专利授权量", "件", "1000", "ip", [("1200", "2026-12-20")]),
        ("知识产权质押融资额", "亿元", "50", "ip", [("40", "2026-12-25"), ("60", "2027-01-03")]),
        ("商标注册量", "件", "500", "dev", [("520", "2026-12-28")]),
    ):
        indicator = create_indicator(session, admin, plan_id, {
            "name": name, "unit": unit, "comparison": "at_least", "target_value": target,
            "target_date": "2026-12-31", "department_id": world.departments[department].id,
        }, now=at("2026-03-02"))
        for value, as_of in readings:
            add_reading(session, admin, indicator.id, value=value, as_of=as_of, now=at(as_of))
    session.commit()
    return Year(plan_id, items, checkpoints)


# Weights sum to 100: signing 10, reporting 15, checkpoints 20, overdue 10 (1 per item,
# 0.5 per workday), returns 5 (1 each), extensions 5 (0.5 each), mandatory 10,
# indicators 15, penalty 5, bonus 5.
def year_scheme(plan_id: int) -> dict:
    weights = {"signing": 10, "reporting": 15, "checkpoints": 20, "overdue": 10, "returns": 5, "extensions": 5,
               "mandatory": 10, "indicators": 15, "penalty": 5, "bonus": 5}
    params = {"overdue": {"per_item": "1", "per_workday": "0.5"}, "returns": {"per_return": "1"},
              "extensions": {"per_extension": "0.5"}}
    return {
        "name": "2026年度知识产权工作考核", "year": 2026, "plan_id": plan_id, "total": "100",
        "items": [{"kind": kind, "weight": str(w), "params": params.get(kind, {})} for kind, w in weights.items()],
    }


@pytest.fixture
def year(session_factory, world):
    with session_factory() as session:
        return script_year(session, world)


@pytest.fixture
def clock():
    """The pages' clock: early January 2027, after the scripted year."""
    return FixedClock(at("2027-01-05", 9))
