"""The plan page's 归档 / 恢复 buttons, the plan list's filter, an archived plan in
the pages that show current work, the milestone page's 重新打开 form, and the
分工表 download on the web."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from service.milestones import service as workflow
from service.plans.models import Plan
from service.flows.archival import archive_plan
from tests.factories import NOW, build_world, milestones_of
from tests.web.test_pages import state_of
from tests.web.test_users import audit_count


def plan_status(session, plan_id: int) -> str:
    session.expire_all()
    status = session.get(Plan, plan_id).status
    session.commit()
    return status


def archived(session, world, key: str = "city") -> int:
    archive_plan(session, world.actor(session, "city_admin" if key == "city" else "district_admin"),
                 world.plans[key], now=NOW)
    session.commit()
    return world.plans[key]


def approved_lead(session, world) -> int:
    lead = milestones_of(session, world, "ip")[0]
    workflow.submit_report(session, world.actor(session, "ip_user"), lead.id, text="已完成", percent=100, now=NOW)
    workflow.review(session, world.actor(session, "city_admin"), lead.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    session.commit()
    return lead.id


# --- archive and restore -----------------------------------------------------------


def test_the_admin_archives_with_confirmation_and_restores(session, client_factory):
    world = build_world(session)
    plan_id = world.plans["city"]
    admin = client_factory().login("city_admin")
    page = admin.get(f"/plans/{plan_id}").text
    assert "归档计划" in page and "还有 <b class=\"text-red\">2</b> 个节点未办结" in page and "确认归档本计划" in page
    before = audit_count(session)

    unconfirmed = admin.submit(f"/plans/{plan_id}/archive", page=f"/plans/{plan_id}")
    assert "请勾选确认后再归档" in unconfirmed.text
    assert plan_status(session, plan_id) == "active" and audit_count(session) == before

    done = admin.submit(f"/plans/{plan_id}/archive", {"confirm": "1"}, page=f"/plans/{plan_id}")
    assert done.status_code == 200 and "flash-ok" in done.text and "计划已归档" in done.text
    assert plan_status(session, plan_id) == "archived" and audit_count(session) == before + 1
    assert "恢复计划" in done.text and "归档计划" not in done.text and '<span class="state">已归档</span>' in done.text

    again = admin.submit(f"/plans/{plan_id}/archive", {"confirm": "1"}, page=f"/plans/{plan_id}")
    assert "flash-error" in again.text and "只有推进中的计划可以归档" in again.text
    assert audit_count(session) == before + 1

    restored = admin.submit(f"/plans/{plan_id}/restore", {"confirm": "1"}, page=f"/plans/{plan_id}")
    assert "flash-ok" in restored.text and "计划已恢复推进" in restored.text
    assert plan_status(session, plan_id) == "active" and audit_count(session) == before + 2


@pytest.mark.parametrize("action", ["archive", "restore"])
@pytest.mark.parametrize("username, plan, status", [
    ("ip_user", "city", 403),  # a department with work in the plan reads it, changes nothing
    ("dev_user", "city", 403),
    ("city_leader", "city", 403),
    ("other_admin", "city", 404),  # another office's plan
    ("district_admin", "city", 404),  # the parent's plan is out of a child office's reach
    ("city_admin", "district", 403),  # a parent office reads its districts' plans, changes nothing
])
def test_refused_archive_and_restore_change_nothing(session, client_factory, action, username, plan, status):
    world = build_world(session)
    plan_id = archived(session, world, plan) if action == "restore" else world.plans[plan]
    before, status_before = audit_count(session), plan_status(session, plan_id)
    response = client_factory().login(username).submit(f"/plans/{plan_id}/{action}", {"confirm": "1"})
    assert response.status_code == status, response.text[:300]
    assert audit_count(session) == before and plan_status(session, plan_id) == status_before


@pytest.mark.parametrize("username", ["ip_user", "city_leader"])
def test_only_the_owning_admin_sees_the_archive_button(session, client_factory, username):
    world = build_world(session)
    page = client_factory().login(username).get(f"/plans/{world.plans['city']}").text
    assert "归档计划" not in page and "下载分工表" in page
    district = client_factory().login("city_admin").get(f"/plans/{world.plans['district']}").text
    assert "归档计划" not in district


def test_plan_list_filter(session, client_factory):
    world = build_world(session)
    archived(session, world)
    admin = client_factory().login("city_admin")
    titles = {key: f"{name}测试行动计划" for key, name in (("city", "市知识产权局"), ("district", "越秀区知识产权局"))}
    current = admin.get("/plans").text
    assert "<b>进行中</b>" in current and titles["district"] in current and titles["city"] not in current
    only_archived = admin.get("/plans?show=archived").text
    assert titles["city"] in only_archived and titles["district"] not in only_archived and "已归档" in only_archived
    everything = admin.get("/plans?show=all").text
    assert titles["city"] in everything and titles["district"] in everything


def test_an_archived_plan_leaves_inbox_dashboard_and_calendar_but_stays_readable(session, client_factory):
    world = build_world(session)
    lead = milestones_of(session, world, "ip")[0]
    support = milestones_of(session, world, "dev")[0]
    workflow.submit_report(session, world.actor(session, "dev_user"), support.id, text="配合完成", percent=100, now=NOW)
    session.commit()
    department = client_factory().login("ip_user")
    inbox = department.get("/inbox").text
    assert f"/assignments/{lead.assignment_id}" in inbox
    feed_path = department.new_calendar_feed(world.departments["ip"].id)
    assert "BEGIN:VEVENT" in client_factory().get(feed_path).text
    admin = client_factory().login("city_admin")
    assert f"/milestones/{support.id}" in admin.get("/reviews").text
    assert f"/plans/{world.plans['city']}" in admin.get("/").text

    plan_id = archived(session, world)
    assert f"/assignments/{lead.assignment_id}" not in department.get("/inbox").text
    assert f"/assignments/{lead.assignment_id}" in department.get(f"/inbox?plan_id={plan_id}").text
    assert "BEGIN:VEVENT" not in client_factory().get(feed_path).text
    assert f"/milestones/{support.id}" not in admin.get("/reviews").text
    assert f"/plans/{plan_id}" not in admin.get("/").text
    # Still readable, marked, and without any form.
    page = department.get(f"/milestones/{lead.id}").text
    assert "所属计划已归档" in page and f'action="/milestones/{lead.id}/' not in page
    assert f'action="/milestones/{support.id}/' not in admin.get(f"/milestones/{support.id}").text
    assert "已归档" in department.get(f"/plans/{plan_id}").text
    assert "已归档" in admin.get(f"/bulletins/{plan_id}").text


def test_a_form_posted_from_a_page_opened_before_archiving_is_refused(session, client_factory):
    world = build_world(session)
    lead = milestones_of(session, world, "ip")[0]
    session.commit()
    department = client_factory().login("ip_user")
    token_page = f"/milestones/{lead.id}"
    department.get(token_page)
    archived(session, world)
    before = audit_count(session)
    response = department.submit(f"/milestones/{lead.id}/ack", page=token_page)
    assert "flash-error" in response.text and "计划已归档" in response.text
    assert state_of(session, lead.id) == "pending" and audit_count(session) == before


# --- reopen ------------------------------------------------------------------------


def test_the_admin_reopens_an_approved_milestone_with_a_reason(session, client_factory):
    world = build_world(session)
    milestone_id = approved_lead(session, world)
    admin = client_factory().login("city_admin")
    page = f"/milestones/{milestone_id}"
    assert "重新打开的原因" in admin.get(page).text
    before = audit_count(session)

    missing = admin.submit(f"{page}/reopen", {"comment": "  "}, page=page)
    assert "flash-error" in missing.text and "必须说明原因" in missing.text
    assert state_of(session, milestone_id) == "approved" and audit_count(session) == before

    done = admin.submit(f"{page}/reopen", {"comment": "统计数据有误，请核实后重报"}, page=page)
    assert "flash-ok" in done.text and "已重新打开" in done.text
    assert state_of(session, milestone_id) == "returned" and audit_count(session) == before + 1
    history = done.text.split("办理记录")[1]
    assert "重新打开" in history and "统计数据有误，请核实后重报" in history
    # The department sees why its work came back.
    assert "统计数据有误，请核实后重报" in client_factory().login("ip_user").get(page).text
    # Reopened is no longer approved: the form is gone.
    assert "重新打开的原因" not in done.text


@pytest.mark.parametrize("username, status", [
    ("ip_user", 403), ("city_leader", 403), ("other_admin", 404), ("district_admin", 404),
])
def test_refused_reopen_changes_nothing(session, client_factory, username, status):
    world = build_world(session)
    milestone_id = approved_lead(session, world)
    before = audit_count(session)
    response = client_factory().login(username).submit(f"/milestones/{milestone_id}/reopen", {"comment": "数据有误"})
    assert response.status_code == status
    assert state_of(session, milestone_id) == "approved" and audit_count(session) == before


def test_a_parent_office_cannot_reopen_its_districts_milestone(session, client_factory):
    world = build_world(session)
    milestone = milestones_of(session, world, "yuexiu_ip")[0]
    workflow.submit_report(session, world.actor(session, "yuexiu_user"), milestone.id, text="完成", percent=100, now=NOW)
    workflow.review(session, world.actor(session, "district_admin"), milestone.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
    session.commit()
    before = audit_count(session)
    city = client_factory().login("city_admin")
    assert "重新打开的原因" not in city.get(f"/milestones/{milestone.id}").text
    assert city.submit(f"/milestones/{milestone.id}/reopen", {"comment": "数据有误"}).status_code == 403
    assert state_of(session, milestone.id) == "approved" and audit_count(session) == before


def test_reopen_form_only_for_the_owning_admin(session, client_factory):
    world = build_world(session)
    milestone_id = approved_lead(session, world)
    for username in ("ip_user", "city_leader"):
        assert "重新打开的原因" not in client_factory().login(username).get(f"/milestones/{milestone_id}").text


# --- 分工表 -----------------------------------------------------------------------


def test_task_table_download_follows_who_may_read_the_plan(session, client_factory, web_settings):
    world = build_world(session)
    plan_id = world.plans["city"]
    session.commit()
    department = client_factory().login("dev_user")  # a support unit gets the whole table, as from the API
    response = department.get(f"/plans/{plan_id}/task-table.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(load_workbook(BytesIO(response.content))["分工表"].iter_rows(values_only=True))
    assert any(row[4] == "市知识产权局" and row[5] == "市发展改革委" for row in rows)
    assert client_factory().login("other_admin").get(f"/plans/{plan_id}/task-table.xlsx").status_code == 404
    assert client_factory().login("yuexiu_user").get(f"/plans/{plan_id}/task-table.xlsx").status_code == 404
    anonymous = client_factory().get(f"/plans/{plan_id}/task-table.xlsx", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    # The same workbook as the API's.
    api = client_factory().get(
        f"/api/v1/plans/{plan_id}/task-table.xlsx", headers=world.headers("dev_user")
    )
    api_rows = list(load_workbook(BytesIO(api.content))["分工表"].iter_rows(values_only=True))
    assert api_rows == rows
