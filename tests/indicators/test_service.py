"""Indicators in the database: created with the plan, imported from the
Guangzhou seed, edited and reported on, with progress and pace."""

from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.errors import Forbidden, Invalid, NotFound
from service.indicators import service
from service.indicators.models import Indicator, IndicatorReading
from service.flows.importing import import_plan
from service.flows.plan_creation import create_plan_from_parsed
from tests.factories import NOW, simple_plan
from tests.plans.conftest import seed_path


def test_plan_creation_keeps_the_parsed_indicators(session, world):
    data = simple_plan("市知识产权局", []) | {
        "indicators": [
            {"name": "发明专利授权", "target_value": 55, "unit": "件", "comparison": "at_least",
             "target_date": "2025-12-31", "text": "发明专利授权55件"},
            {"name": "商标申请量", "target_value": 20, "unit": "%", "comparison": "growth_rate_at_least",
             "target_date": None, "text": "商標申請量年均增長20%以上"},
        ]
    }
    plan = create_plan_from_parsed(session, Actor.system(world.offices["city"].id), data, now=NOW).plan
    rows = session.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position)).all()
    assert [(r.position, r.name, r.target_value, r.unit, r.comparison, r.target_date) for r in rows] == [
        (1, "发明专利授权", Decimal("55"), "件", "at_least", date(2025, 12, 31)),
        (2, "商标申请量", Decimal("20"), "%", "growth_rate_at_least", None),
    ]
    assert rows[1].text == "商標申請量年均增長20%以上"


def test_the_old_shape_without_indicators_still_makes_a_plan(session, world):
    plan = create_plan_from_parsed(session, Actor.system(world.offices["city"].id), simple_plan("市知识产权局", []), now=NOW).plan
    assert plan.id and session.scalars(select(Indicator).where(Indicator.plan_id == plan.id)).all() == []


def test_a_bad_parsed_indicator_is_refused_with_its_position(session, world):
    data = simple_plan("市知识产权局", []) | {"indicators": [{"name": "x", "target_value": "许多", "unit": "件"}]}
    with pytest.raises(Invalid, match="指标 1"):
        create_plan_from_parsed(session, Actor.system(world.offices["city"].id), data, now=NOW)


def test_importing_the_guangzhou_seed_finds_its_targets(session, world):
    admin = world.actor(session, "city_admin")
    result = import_plan(session, admin, data=seed_path("003").read_bytes(), filename="广州.txt", now=NOW)
    plan, rows = service.list_indicators(session, admin, result.plan.id)
    assert len(rows) == 18
    first = rows[0]
    assert (first.name, first.target_value, first.unit, first.comparison, first.target_date) == (
        "全市通过知识产权管理规范国家标准认证的单位", Decimal("1600"), "家", "at_least", date(2020, 12, 31)
    )
    by_name = {r.name: r for r in rows}
    assert by_name["年专利交易额"].target_value == Decimal("10") and by_name["年专利交易额"].unit == "亿元"
    assert by_name["知识产权服务从业人员"].target_value == Decimal("4000")
    assert by_name["发明专利申请量"].comparison == "growth_rate_at_least"
    # The four stated in (or restated by) a measure led by 市知识产权局 are its; the office names the rest.
    ip = world.departments["ip"].id
    assert {r.name for r in rows if r.department_id == ip} == {
        "重大经济和科技项目知识产权评议率", "全市通过知识产权管理规范国家标准认证的单位", "培育市知识产权强企", "市知识产权示范单位",
    }
    assert sum(1 for r in rows if r.department_id is None) == 14


PLAN_WITH_TARGET = "某市工作方案\n一、重点任务\n1.加强评议。评议率达到80%（{}牵头）。\n2.加强保护。加强执法（{}负责）。\n"


def _imported_indicator(session, admin, lead: str) -> Indicator:
    plan = import_plan(session, admin, text=PLAN_WITH_TARGET.format(lead, lead), now=NOW).plan
    return session.scalars(select(Indicator).where(Indicator.plan_id == plan.id)).one()


def test_an_indicator_follows_its_lead_through_the_department_mapping(session, world):
    from service.departments.models import Department
    from service.flows.importing import apply_department_mapping

    admin = world.actor(session, "city_admin")
    indicator = _imported_indicator(session, admin, "市科技局")
    placeholder = session.get(Department, indicator.department_id)
    assert (placeholder.name, placeholder.confirmed) == ("市科技局", False)

    dev = world.departments["dev"]
    apply_department_mapping(session, admin, indicator.plan_id, {"市科技局": dev.id}, now=NOW)
    session.refresh(indicator)
    assert indicator.department_id == dev.id
    assert session.get(Department, placeholder.id) is None  # nothing refers to the placeholder any more

    confirmed = _imported_indicator(session, admin, "市统计局")
    apply_department_mapping(session, admin, confirmed.plan_id, {"市统计局": None}, now=NOW)
    session.refresh(confirmed)
    assert session.get(Department, confirmed.department_id).name == "市统计局"


def test_a_parsed_indicator_names_only_departments_the_plan_or_directory_knows(session, world):
    from service.departments.models import Department

    actor = Actor.system(world.offices["city"].id)
    item = {"name": "评议率", "target_value": 80, "unit": "%"}
    data = simple_plan("市新设单位", []) | {
        "indicators": [item | {"department": "市新设单位"}, item | {"department": "市发展改革委"},
                       item | {"department": "市无此单位"}, item | {"department": None}],
    }
    plan = create_plan_from_parsed(session, actor, data, now=NOW).plan
    rows = session.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position)).all()
    new = session.scalars(select(Department).where(Department.name == "市新设单位")).one()
    assert [r.department_id for r in rows] == [new.id, world.departments["dev"].id, None, None]
    assert session.scalars(select(Department).where(Department.name == "市无此单位")).first() is None


def test_reading_latest_progress_and_audit(session, world, indicators):
    ip_user = world.actor(session, "ip_user")
    first = service.add_reading(session, ip_user, indicators["city"], value=30, as_of="2027-03-31", note="一季度", now=NOW)
    service.add_reading(session, ip_user, indicators["city"], value=10, as_of="2026-12-31", now=NOW)  # filed late
    plan, rows = service.list_indicators(session, ip_user, world.plans["city"])
    [status] = service.statuses(session, plan, rows)
    assert status.latest.id == first.id and status.latest.value == Decimal("30")
    assert status.progress == pytest.approx(0.3)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "indicator.reading")).all()
    assert [e.after["value"] for e in events] == ["30.0000", "10.0000"]
    assert events[0].actor_id == world.users["ip_user"].id
    assert [r.value for r in service.list_readings(session, ip_user, indicators["city"])] == [Decimal(30), Decimal(10)]


def test_update_is_audited_with_before_and_after(session, world, indicators):
    admin = world.actor(session, "city_admin")
    service.update_indicator(
        session, admin, indicators["city"], {"baseline_value": 20, "department_id": world.departments["dev"].id}, now=NOW
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "indicator.update")).one()
    assert event.before["baseline_value"] is None and event.after["baseline_value"] == "20.0000"
    assert (event.before["department_id"], event.after["department_id"]) == (
        world.departments["ip"].id, world.departments["dev"].id
    )
    # ip is no longer responsible: its indicator is gone from its view
    with pytest.raises(NotFound):
        service.get_indicator(session, world.actor(session, "ip_user"), indicators["city"])


def test_a_department_of_another_office_cannot_be_made_responsible(session, world, indicators):
    with pytest.raises(Invalid, match="不是本办公室的单位"):
        service.update_indicator(
            session, world.actor(session, "city_admin"), indicators["city"],
            {"department_id": world.departments["sz_ip"].id}, now=NOW,
        )


def test_leaders_read_but_do_not_report(session, world, indicators):
    leader = world.actor(session, "city_leader")
    assert service.get_indicator(session, leader, indicators["city"]).id == indicators["city"]
    with pytest.raises(Forbidden):
        service.add_reading(session, leader, indicators["city"], value=1, as_of="2027-01-01", now=NOW)


# --- progress and pace: pure ----------------------------------------------------

PLAN = SimpleNamespace(
    period_start=date(2021, 1, 1), issued_date=None, created_at=datetime(2020, 5, 1, tzinfo=timezone.utc),
    period_end=date(2025, 12, 31),
)


def _indicator(comparison="at_least", target="100", baseline=None, target_date=date(2024, 12, 31)):
    return Indicator(
        comparison=comparison, target_value=Decimal(target),
        baseline_value=None if baseline is None else Decimal(baseline), target_date=target_date,
    )


def _reading(value, as_of=date(2023, 1, 1)):
    return IndicatorReading(value=Decimal(value), as_of=as_of)


@pytest.mark.parametrize(
    ("indicator", "reading", "progress", "on_track"),
    [
        # halfway through 2021–2024 (2023-01-01 is 2/4 of the way): 50 keeps pace, 40 does not
        (_indicator(), _reading("50"), 0.5, True),
        (_indicator(), _reading("40"), 0.4, False),
        # counted from the baseline: 60 of 20→100 is half the way
        (_indicator(baseline="20"), _reading("60"), 0.5, True),
        # met early is on track; above target is still 100%
        (_indicator(), _reading("120"), 1.0, True),
        # no date of its own: the plan's end sets the pace (2 of 5 years)
        (_indicator(target_date=None), _reading("39"), 0.39, False),
        # rates and ceilings are judged as they stand
        (_indicator("growth_rate_at_least", "20"), _reading("15"), 0.75, False),
        (_indicator("growth_rate_at_least", "20"), _reading("22"), 1.0, True),
        (_indicator("at_most", "5"), _reading("4"), 1.0, True),
        (_indicator("at_most", "5"), _reading("10"), 0.5, False),
        (_indicator("at_most", "5", baseline="15"), _reading("10"), 0.5, False),
        (_indicator("equal", "90"), _reading("90"), 1.0, True),
        (_indicator("equal", "90"), _reading("95"), 1.0, False),
    ],
)
def test_status(indicator, reading, progress, on_track):
    status = service.status_of(indicator, reading, PLAN)
    assert (status.progress, status.on_track) == (pytest.approx(progress, abs=0.005), on_track)


def test_no_reading_no_verdict():
    status = service.status_of(_indicator(), None, PLAN)
    assert (status.progress, status.on_track) == (None, None)


def test_without_any_date_the_pace_is_unknown():
    plan = SimpleNamespace(**{**vars(PLAN), "period_end": None})
    status = service.status_of(_indicator(target_date=None), _reading("10"), plan)
    assert (status.progress, status.on_track) == (pytest.approx(0.1), None)
