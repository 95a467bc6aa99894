"""A draft's warnings follow the office's edits: the measures' are checked again
on the current rows, the document's own (an unreadable phase date) stay."""

import pytest
from sqlalchemy import func, select

from service.app import create_app
from service.audit.models import AuditEvent
from service.clock import FixedClock
from service.config import Settings
from service.errors import Invalid
from service.flows.importing import current_warnings, import_plan, preview_for
from service.plans.parser import parse_plan_text
from service.flows.activation import activate_plan
from service.plans.service import get_plan, update_measure
from service.workdays import WorkdayCalendar
from tests.factories import NOW
from tests.web.conftest import WebClient

from .conftest import seed_path

PHASED = """测试行动计划
一、重点任务
1.推进甲工作。完善甲机制(市知识产权局牵头,市发展改革委配合)。
2.推进乙工作。完善乙机制。
3.推进丙工作。完善丙机制(市知识产权局、市发展改革委牵头)。
二、实施步骤
准备阶段：不久以后。
实施阶段：2027年6月底前。
"""

UNPHASED = """测试工作要点
一、重点任务
1.推进甲工作。完善甲机制(市知识产权局牵头)。
2.推进乙工作。2027年6月底前完善乙机制(市知识产权局牵头)。
"""


def _import(session, world, text: str):
    admin = world.actor(session, "city_admin")
    plan = import_plan(session, admin, text=text, now=NOW).plan
    return admin, plan


def _codes(session, admin, plan) -> list[tuple[str, int | None]]:
    return [(w["code"], w["measure_id"]) for w in preview_for(session, admin, plan.id).warnings]


def test_a_fixed_measure_loses_its_warning_and_a_broken_one_gains_one(session, world):
    admin, plan = _import(session, world, PHASED)
    first, second, third = (m.id for m in plan.measures)
    ip, dev = world.departments["ip"].id, world.departments["dev"].id
    assert _codes(session, admin, plan) == [("bad_date", None), ("no_annotation", second)]

    update_measure(session, admin, plan.id, second, {"lead": [ip]}, now=NOW)
    assert _codes(session, admin, plan) == [("bad_date", None)]

    update_measure(session, admin, plan.id, first, {"lead": [], "support": [dev]}, now=NOW)
    assert _codes(session, admin, plan) == [("bad_date", None), ("no_lead", first)]

    update_measure(session, admin, plan.id, third, {"lead": [], "support": []}, now=NOW)
    warnings = preview_for(session, admin, plan.id).warnings
    assert [(w["code"], w["measure_id"]) for w in warnings] == [
        ("bad_date", None), ("no_lead", first), ("no_annotation", third),
        ("single_mention", first), ("single_mention", second),
    ]
    # The phase line the document got wrong is still quoted as it was.
    assert warnings[0]["measure"] == "准备阶段：不久以后。" and "准备阶段" in warnings[0]["message"]
    assert "市发展改革委" in warnings[-2]["message"] and "市知识产权局" in warnings[-1]["message"]


def test_the_no_deadline_warning_counts_what_activation_refuses(session, world):
    admin, plan = _import(session, world, UNPHASED)
    first, second = plan.measures
    calendar = WorkdayCalendar()

    def no_deadline() -> list[str]:
        return [w["message"] for w in current_warnings(session, plan) if w["code"] == "no_deadline"]

    assert no_deadline() == ["计划没有推进阶段，1 条措施没有完成时限，启动前需补充阶段或时限"]
    update_measure(session, admin, plan.id, second.id, {"deadline": None}, now=NOW)
    assert no_deadline() == ["计划没有推进阶段，2 条措施没有完成时限，启动前需补充阶段或时限"]
    with pytest.raises(Invalid, match="2 条措施没有完成时限"):
        activate_plan(session, admin, plan.id, now=NOW, calendar=calendar, support_lead_workdays=5)

    for measure in (first, second):
        update_measure(session, admin, plan.id, measure.id, {"deadline": "2027-06-30"}, now=NOW)
    assert no_deadline() == [] and current_warnings(session, plan) == []
    assert activate_plan(session, admin, plan.id, now=NOW, calendar=calendar, support_lead_workdays=5) == 2


def test_a_time_limit_the_table_could_not_read_stops_counting_once_the_measure_is_dated(session, world):
    table = "序号,重点任务,具体措施,牵头单位,完成时限\n1,推进甲工作,完善甲机制,市知识产权局,尽快\n2,推进乙工作,完善乙机制,市知识产权局,2027-06-30\n"
    admin = world.actor(session, "city_admin")
    plan = import_plan(session, admin, data=table.encode(), filename="分工表.csv", now=NOW).plan
    undated = plan.measures[0].id
    warnings = current_warnings(session, plan)
    assert [(w["code"], w["measure_id"]) for w in warnings] == [("bad_date", undated), ("no_deadline", None)]
    assert "尽快" in warnings[0]["message"] and warnings[0]["measure"] == "完善甲机制"

    update_measure(session, admin, plan.id, undated, {"deadline": "2027-03-31"}, now=NOW)
    assert current_warnings(session, plan) == []


def test_at_import_the_checks_on_the_rows_say_what_the_parser_said(session, world):
    """The Guangzhou plan: the same warnings whether read from the document or the rows."""
    text = seed_path("003").read_text(encoding="utf-8")
    admin, plan = _import(session, world, text)
    from_rows = [{k: v for k, v in w.items() if k != "measure_id"} for w in preview_for(session, admin, plan.id).warnings]
    from_text = parse_plan_text(text).to_dict()["warnings"]
    assert from_rows == from_text and len(from_text) == 23
    # Each quotes its measure, and the id points at the measure quoted.
    texts = {m.id: m.text for m in get_plan(session, admin, plan.id).measures}
    for warning in preview_for(session, admin, plan.id).warnings:
        assert texts[warning["measure_id"]].startswith(warning["measure"].rstrip("…"))


def test_a_refused_edit_leaves_the_warnings_as_they_were(client, world, session_factory):
    with session_factory() as session:
        admin, plan = _import(session, world, PHASED)
        second = plan.measures[1].id
        session.commit()
        plan_id = plan.id
    preview_url = f"/api/v1/plans/{plan_id}/import-preview"
    before = client.get(preview_url, headers=world.headers("city_admin")).json()["warnings"]
    with session_factory() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    for username in ("ip_user", "city_leader", "other_admin", "district_admin"):
        response = client.patch(
            f"/api/v1/plans/{plan_id}/measures/{second}",
            json={"lead": [world.departments["ip"].id]},
            headers=world.headers(username),
        )
        assert response.status_code in (403, 404), response.text
    assert client.get(preview_url, headers=world.headers("city_admin")).json()["warnings"] == before
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events

    response = client.patch(
        f"/api/v1/plans/{plan_id}/measures/{second}",
        json={"lead": [world.departments["ip"].id]},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 200, response.text
    after = client.get(preview_url, headers=world.headers("city_admin")).json()["warnings"]
    assert [w["code"] for w in before] == ["bad_date", "no_annotation"] and [w["code"] for w in after] == ["bad_date"]


def test_the_review_page_links_a_warning_to_its_measure_and_drops_it_after_the_edit(world, session_factory, database_url):
    with session_factory() as session:
        plan = _import(session, world, PHASED)[1]
        second = plan.measures[1].id
        session.commit()
        plan_id = plan.id
    app = create_app(Settings(database_url=database_url, secret_key="test-secret"), clock=FixedClock(NOW))
    browser = WebClient(app).login("city_admin")
    page = f"/plans/import?plan={plan_id}"
    text = browser.get(page).text
    assert 'data-warning="no_annotation"' in text and f'href="#measure-{second}"' in text

    response = browser.submit(
        f"/plans/{plan_id}/measures/{second}",
        {"text": "完善乙机制", "lead": world.departments["ip"].name},
        page=page,
    )
    assert response.status_code == 200 and "措施已修改" in response.text
    text = browser.get(page).text
    assert 'data-warning="no_annotation"' not in text and 'data-warning="bad_date"' in text
