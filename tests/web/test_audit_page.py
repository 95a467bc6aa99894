"""操作记录 (/audit): who reads which events, the filters, Chinese labels, the
before→after summary, paging; and a Chinese label for every action the code records."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

from service.audit.service import record
from service.audit.trail import ACTION_LABELS
from service.auth.actor import Actor
from service.milestones import service as workflow
from service.flows.archival import archive_plan
from tests.factories import NOW, build_world, milestones_of

EVENT_ROW = re.compile(r'<tr data-event="(\d+)" data-action="([a-z_.]+)">(.*?)</tr>', re.S)


def rows(html: str) -> list[tuple[int, str]]:
    return [(int(i), re.sub(r"<[^>]+>", " ", body)) for i, _, body in EVENT_ROW.findall(html)]


def actions(html: str) -> list[str]:
    return [action for _, action, _ in EVENT_ROW.findall(html)]


def texts(html: str) -> str:
    return " | ".join(body for _, body in rows(html))


@pytest.fixture
def world_with_work(world, session):
    """The test world with some work done: ip acknowledged (day 0), dev reported (day 1),
    the city plan archived (day 2), the district's unit acknowledged (day 0)."""
    ip, dev, yuexiu = (milestones_of(session, world, key)[0] for key in ("ip", "dev", "yuexiu_ip"))
    workflow.acknowledge(session, world.actor(session, "ip_user"), ip.id, now=NOW)
    workflow.submit_report(session, world.actor(session, "dev_user"), dev.id, text="配合完成", percent=100,
                           now=NOW + timedelta(days=1))
    archive_plan(session, world.actor(session, "city_admin"), world.plans["city"], now=NOW + timedelta(days=2))
    workflow.acknowledge(session, world.actor(session, "yuexiu_user"), yuexiu.id, now=NOW)
    session.commit()
    world.milestones = {"ip": ip.id, "dev": dev.id, "yuexiu": yuexiu.id}
    return world


def test_the_admin_reads_its_office_and_its_districts_events_newest_first(world_with_work, client_factory):
    page = client_factory().login("city_admin").get("/audit")
    assert page.status_code == 200 and "操作记录" in page.text
    found = rows(page.text)
    # Day 2, day 1 (reporting signed dev's item first), then day 0's events latest first
    # (the district's acknowledgement was recorded last).
    assert actions(page.text)[:4] == ["plan.archive", "milestone.report", "milestone.acknowledge", "milestone.acknowledge"]
    assert "越秀区知识产权局：措施" in found[3][1]
    assert "归档计划" in found[0][1] and "状态：推进中 → 已归档" in found[0][1] and "未办结节点：2" in found[0][1]
    assert f'href="/plans/{world_with_work.plans["city"]}"' in page.text
    body = texts(page.text)
    assert "签收" in body and "报送进展" in body and "启动计划" in body and "创建计划" in body
    assert "越秀区知识产权局：措施" in body  # the district's work
    assert "深圳市市场监管局" not in body  # not another office's
    # Times in the business timezone: 01:00 UTC is 09:00 in Shanghai.
    assert "2026-11-04 09:00" in found[0][1]


def test_a_leader_reads_the_same_and_finds_it_in_the_navigation(world_with_work, client_factory):
    leader = client_factory().login("city_leader")
    page = leader.get("/audit")
    assert page.status_code == 200 and "归档计划" in texts(page.text)
    assert 'href="/audit"' in leader.get("/").text
    assert 'href="/audit"' in client_factory().login("city_admin").get("/").text
    assert 'href="/audit"' not in client_factory().login("ip_user").get("/inbox").text


def test_a_district_admin_and_another_office_see_only_their_own(world_with_work, client_factory):
    district = texts(client_factory().login("district_admin").get("/audit").text)
    assert "越秀区知识产权局：措施" in district and "归档计划" not in district and "市知识产权局：措施" not in district
    other = texts(client_factory().login("other_admin").get("/audit").text)
    assert "归档计划" not in other and "签收" not in other and "启动计划" in other  # its own plan's activation


def test_a_department_user_sees_its_own_actions_only(world_with_work, client_factory):
    page = client_factory().login("ip_user").get("/audit")
    assert page.status_code == 200
    found = rows(page.text)
    assert len(found) == 1 and "签收" in found[0][1]
    assert "操作人" not in page.text.split("<section")[1]  # no filter by who acted


def test_filters(world_with_work, client_factory):
    admin = client_factory().login("city_admin")
    by_plan = texts(admin.get(f"/audit?plan={world_with_work.plans['city']}").text)
    assert "归档计划" in by_plan and "报送进展" in by_plan and "越秀区" not in by_plan
    by_department = rows(admin.get(f"/audit?department={world_with_work.departments['dev'].id}").text)
    assert len(by_department) == 2 and "报送进展" in by_department[0][1]
    assert "状态：已签收 → 已报送" in by_department[0][1]
    assert "状态：待签收 → 已签收；签收时间：（无） → 2026年11月3日 09:00" in by_department[1][1]
    by_user = rows(admin.get(f"/audit?user={world_with_work.users['ip_user'].id}").text)
    assert len(by_user) == 1 and "签收" in by_user[0][1]
    by_action = rows(admin.get("/audit?action=milestone.acknowledge").text)
    assert len(by_action) == 3 and all("签收" in body for _, body in by_action)
    one_day = rows(admin.get("/audit?from=2026-11-03&to=2026-11-03").text)
    assert len(one_day) == 2 and "报送进展" in one_day[0][1]
    assert actions(admin.get("/audit?from=2026-11-03").text) == ["plan.archive", "milestone.report", "milestone.acknowledge"]
    selected = admin.get(f"/audit?plan={world_with_work.plans['city']}&action=plan.archive").text
    assert f'<option value="{world_with_work.plans["city"]}" selected' in selected
    assert '<option value="plan.archive" selected' in selected


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01", "起始日期应为 YYYY-MM-DD"),
    ("to=yesterday", "截止日期应为 YYYY-MM-DD"),
    ("from=2026-11-05&to=2026-11-01", "截止日期不能早于起始日期"),
    ("action=plan.explode", "未知的操作类型"),
])
def test_bad_filters_are_a_422_that_says_what_is_wrong(world_with_work, client_factory, query, message):
    response = client_factory().login("city_admin").get(f"/audit?{query}")
    assert response.status_code == 422 and message in response.text


def test_pages_of_fifty(session, world_with_work, client_factory):
    actor = Actor.system(world_with_work.offices["city"].id)
    for n in range(60):
        record(session, actor, "department.update", "department", world_with_work.departments["ip"].id,
               before={"name": "市知识产权局"}, after={"name": f"市知识产权局{n}"}, now=NOW + timedelta(days=3, minutes=n))
    session.commit()
    admin = client_factory().login("city_admin")
    first = admin.get("/audit?action=department.update")
    found = rows(first.text)
    assert len(found) == 50 and "名称：市知识产权局 → 市知识产权局59" in found[0][1] and "系统" in found[0][1]
    assert 'href="/audit?action=department.update&amp;page=2"' in first.text and "上一页" not in first.text
    second = rows(admin.get("/audit?action=department.update&page=2").text)
    assert len(second) == 10 and "→ 市知识产权局0" in second[-1][1]
    assert f'href="/departments/{world_with_work.departments["ip"].id}"' in first.text


def _recorded_actions() -> set[str]:
    """Every action string literal passed to record() or a domain's _audit() in service/."""
    found = set()
    for path in Path("service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("record", "_audit"):
                for arg in node.args[:4]:
                    # f-strings are built at run time; their pieces are no action.
                    pieces = {id(c) for f in ast.walk(arg) if isinstance(f, ast.JoinedStr) for c in ast.walk(f)}
                    for inner in ast.walk(arg):
                        if (isinstance(inner, ast.Constant) and isinstance(inner.value, str) and "." in inner.value
                                and id(inner) not in pieces):
                            found.add(inner.value)
    return found


def test_every_recorded_action_has_a_chinese_label():
    actions = _recorded_actions()
    assert {"plan.archive", "milestone.reopen", "channel.update"} <= actions  # the scan finds them
    # Built at run time: the import record, review decisions, link revocations.
    actions |= {"plan.import", "milestone.approve", "milestone.return", "plan.links_revoke", "milestone.links_revoke"}
    assert actions - set(ACTION_LABELS) == set()


def test_a_change_summary_speaks_in_words_and_names():
    from zoneinfo import ZoneInfo

    from service.web.audit import change_summary

    tz = ZoneInfo("Asia/Shanghai")
    assert change_summary(None, {"username": "zscqj", "role": "department"}, tz) == "用户名：zscqj；角色：单位用户"
    assert change_summary({"role": "department"}, {"role": "admin"}, tz) == "角色：单位用户 → 办公室管理员"
    assert change_summary(None, {"audience": "office"}, tz) == "接收对象：办公室"
    # Departments by name, nothing by id, no field name in English, dates in Chinese.
    names = {1: "市知识产权局"}
    assert change_summary({"lead": []}, {"lead": [1]}, tz, names) == "牵头单位：（无） → 市知识产权局"
    assert change_summary(None, {"extension_request_id": 7, "new_due_date": "2026-12-31"}, tz) == "新时限：2026年12月31日"
    assert change_summary({"must_change_password": True}, {"must_change_password": False}, tz) == "须修改密码：是 → 否"


def test_the_audit_page_shows_channel_targets_masked(session, client_factory):
    from service.delivery.service import create_channel, notifier_config
    from service.config import Settings

    world = build_world(session)
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    create_channel(session, world.actor(session, "city_admin"), notifier_config(Settings()), audience="leader",
                   department_id=None, type="wecom", target=key, now=NOW)
    session.commit()
    for user in ("city_admin", "city_leader"):
        page = client_factory().login(user).get("/audit")
        assert page.status_code == 200 and key not in page.text and "key …5aaa" in page.text
