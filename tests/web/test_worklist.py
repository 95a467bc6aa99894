"""The 督办件 pages: a unit's work list and item page, the office's filtered list, 催办 and the unit table."""

import re

from sqlalchemy import select

from service.delivery.models import Notification
from service.milestones.models import ProgressReport
from service.plans.models import Assignment
from tests.factories import build_world
from tests.milestones.test_assignments import phased_plan

ITEM = re.compile(r'data-assignment="(\d+)"')


def _setup(session):
    world = build_world(session)
    plan_id = phased_plan(session, world)
    session.commit()
    ip_items = list(session.scalars(
        select(Assignment.id).where(Assignment.department_id == world.departments["ip"].id).order_by(Assignment.id)))
    return world, plan_id, ip_items


def test_a_unit_signs_everything_at_once_and_reports_progress_that_leaves_the_item_open(session, client_factory):
    world, plan_id, items = _setup(session)
    unit = client_factory().login("ip_user")
    page = unit.get(f"/inbox?plan_id={plan_id}").text
    assert [int(i) for i in ITEM.findall(page)] == items[1:] and "全部签收（3 件）" in page
    assert 'href="/reviews"' not in page  # no 审核 navigation for a unit
    signed = unit.submit("/inbox/sign", {"plan_id": str(plan_id), "back": f"/inbox?plan_id={plan_id}"}, page="/inbox")
    assert "已签收 3 项督办件" in signed.text and "全部签收" not in signed.text
    assert "全部签收（1 件）" in unit.get("/inbox").text  # the other plan's item is still unsigned
    item = items[1]
    reported = unit.submit(
        f"/assignments/{item}/progress", {"text": "完成调研", "percent": "30"}, page=f"/assignments/{item}",
        files=[("attachments", ("调研.pdf", b"%PDF-1.4", "application/pdf"))],
    )
    assert "进展已报送" in reported.text and "完成调研" in reported.text and "调研.pdf" in reported.text
    assert "待阅" in reported.text and "全部节点已办结" not in reported.text
    link = reported.text.split('href="/attachments/')[1].split('"')[0]
    assert unit.get(f"/attachments/{link}").content == b"%PDF-1.4"
    assert client_factory().login("dev_user").get(f"/attachments/{link}").status_code == 404
    # The work list shows the latest progress, and filters by status and text.
    assert "最新进展 30%" in unit.get(f"/inbox?plan_id={plan_id}").text
    assert ITEM.findall(unit.get("/inbox?status=unsigned").text) == [str(items[0])]
    assert ITEM.findall(unit.get("/inbox?q=不存在的措施").text) == []

    office = client_factory().login("city_admin")
    session.rollback()
    progress_id = session.scalar(select(ProgressReport.id))
    asked = office.submit(f"/progress/{progress_id}/review", {"decision": "more", "comment": "请补充调研数据",
                                                             "back": f"/assignments/{item}"}, page=f"/assignments/{item}")
    assert "已要求补充" in asked.text
    assert "办公室意见：请补充调研数据" in unit.get(f"/assignments/{item}").text


def test_a_unit_cannot_open_or_act_on_another_units_item(session, client_factory):
    world, plan_id, items = _setup(session)
    dev = client_factory().login("dev_user")
    assert dev.get(f"/assignments/{items[1]}").status_code == 404
    assert dev.submit(f"/assignments/{items[1]}/progress", {"text": "x", "percent": "1"}, page="/inbox").status_code == 404
    assert dev.submit(f"/assignments/{items[1]}/sign", page="/inbox").status_code == 404
    assert dev.submit(f"/assignments/{items[1]}/chase", {"level": "remind"}, page="/inbox").status_code == 404
    ip = client_factory().login("ip_user")
    assert ip.submit(f"/assignments/{items[1]}/chase", {"level": "remind"}, page="/inbox").status_code == 403


def test_the_office_chases_an_item_selected_items_and_a_unit_from_its_pages(session, client_factory):
    world, plan_id, items = _setup(session)
    office = client_factory().login("city_admin")
    ip = world.departments["ip"].id
    listed = office.get(f"/assignments?department_id={ip}&status=unsigned").text
    assert [int(i) for i in ITEM.findall(listed)] == items and "催办所选督办件" in listed
    done = office.submit(f"/assignments/{items[1]}/chase", {"level": "urge"}, page=f"/assignments/{items[1]}")
    assert "已催办 1 项督办件" in done.text
    again = office.submit(f"/assignments/{items[1]}/chase", {"level": "urge"}, page=f"/assignments/{items[1]}")
    assert "今天已催办过" in again.text
    selected = office.submit("/assignments/chase", {"ids": [str(items[1]), str(items[2])], "level": "remind",
                                                   "back": "/assignments"}, page="/assignments")
    assert "已催办 1 项督办件，1 项今天已催办过未再发送" in selected.text
    unit = office.submit(f"/departments/{ip}/chase", {"level": "supervise", "back": "/#units"}, page="/")
    assert "已催办 2 项督办件，2 项今天已催办过未再发送" in unit.text
    session.rollback()  # a fresh read of what the pages wrote
    assert session.scalar(select(Notification.id).where(Notification.level == "red")) is not None


def test_the_dashboard_counts_whom_to_chase_per_unit_with_links_to_the_list(session, client_factory):
    world, plan_id, items = _setup(session)
    office = client_factory().login("city_admin")
    page = office.get("/?sort=unsigned").text
    ip, dev = world.departments["ip"].id, world.departments["dev"].id
    units = re.findall(r'data-unit="(\d+)"', page)
    # The district's unit too: the city reads its districts' work (and chases only its own units).
    assert set(units) == {str(ip), str(dev), str(world.departments["yuexiu_ip"].id)}
    assert page.count("催办全单位") == 2
    # Four unsigned items each, linked to the filtered list; the first checkpoints are due within 7 workdays.
    assert f'href="/assignments?department_id={ip}&amp;status=unsigned" class="text-red">4</a>' in page
    assert f'href="/assignments?department_id={ip}&amp;status=due_soon">3</a>' in page
    assert "按时办结/应办结" in page and "定期报送" not in page
    from service.plans.service import set_reporting_cycle
    from tests.factories import NOW

    session.rollback()
    set_reporting_cycle(session, world.actor(session, "city_admin"), plan_id, cycle="weekly", day=None, now=NOW)
    session.commit()
    assert "定期报送（本期 · 上期按时）" in office.get("/").text and "0/3 · 0/3" in office.get("/").text
    assert "催办全单位" not in client_factory().login("city_leader").get("/").text


def test_the_unit_counts_are_shared_until_a_change_and_follow_it_at_once(session, client_factory):
    world, plan_id, items = _setup(session)
    ip = world.departments["ip"].id
    unsigned = f'href="/assignments?department_id={ip}&amp;status=unsigned" class="text-red">'
    office = client_factory().login("city_admin")
    assert unsigned + "4</a>" in office.get("/").text
    unit = client_factory().login("ip_user")
    unit.submit("/inbox/sign", {"plan_id": str(plan_id)}, page="/inbox")  # 签收 writes the audit log
    assert unsigned + "1</a>" in office.get("/?sort=name").text  # the other plan's item is still unsigned


def test_batch_approval_lists_the_items_and_needs_the_confirmation(session, client_factory):
    from service.milestones import service as workflow
    from service.milestones.models import Milestone
    from tests.factories import NOW

    world, plan_id, items = _setup(session)
    unit = world.actor(session, "ip_user")
    first = [session.scalar(select(Milestone.id).where(Milestone.assignment_id == a).order_by(Milestone.due_date))
             for a in items[1:3]]
    workflow.submit_report(session, unit, first[0], text="阶段一完成", percent=100, now=NOW)
    workflow.submit_report(session, unit, first[1], text="大部分完成", percent=90, now=NOW)
    session.commit()
    office = client_factory().login("city_admin")
    confirm = office.get(f"/reviews/confirm?ids={first[0]}&ids={first[1]}")
    assert confirm.status_code == 200
    assert re.findall(r'data-milestone="(\d+)"', confirm.text) == [str(i) for i in first]
    assert "确认通过以下 2 项办结申请" in confirm.text and "其中 1 项完成不足 100%" in confirm.text
    ids = {"ids": [str(i) for i in first]}
    refused = office.submit("/reviews/approve", ids, page="/reviews")
    assert "请勾选“确认通过以上办结申请”" in refused.text
    below = office.submit("/reviews/approve", ids | {"confirmed": "1"}, page="/reviews")
    assert "90%" in below.text
    session.rollback()
    assert set(session.scalars(select(Milestone.state).where(Milestone.id.in_(first)))) == {"submitted"}
    done = office.submit("/reviews/approve", ids | {"confirmed": "1", "confirm_below_100": "1"}, page="/reviews")
    assert "已通过 2 项办结申请" in done.text
    session.rollback()
    assert set(session.scalars(select(Milestone.state).where(Milestone.id.in_(first)))) == {"approved"}
    # A unit cannot reach the confirmation of another unit's or any approval.
    assert client_factory().login("dev_user").get(f"/reviews/confirm?ids={first[0]}").status_code == 404


def test_the_unit_table_shows_the_units_to_chase_first_and_the_rest_on_request(session, client_factory, monkeypatch):
    import service.web.dashboard

    world, plan_id, items = _setup(session)
    monkeypatch.setattr(service.web.dashboard, "UNITS_SHOWN", 2)
    office = client_factory().login("city_admin")
    page = office.get("/?sort=unsigned").text
    assert len(re.findall(r'data-unit="(\d+)"', page)) == 2 and "显示全部 3 个单位" in page
    everything = office.get("/?sort=unsigned&units=all").text
    assert len(re.findall(r'data-unit="(\d+)"', everything)) == 3 and "显示全部" not in everything
    # Sorting and chasing keep the whole table open.
    assert 'href="/?sort=name&amp;units=all#units"' in everything
    assert 'name="back" value="/?sort=unsigned&amp;units=all#units"' in everything
