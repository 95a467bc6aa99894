"""With many active plans, the dashboard details the most urgent and lists the rest."""

import re
from datetime import date

from sqlalchemy import update

from service.auth.actor import Actor
from service.milestones.models import Milestone
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.web.dashboard import PANELS_SHOWN
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world, simple_plan


def test_most_urgent_plans_get_panels_and_the_rest_one_line(session_factory, client_factory):
    with session_factory() as session:
        world = build_world(session)
        actor = Actor.system(world.offices["city"].id)
        plan_ids = [world.plans["city"]]
        for n in range(PANELS_SHOWN + 2):
            created = create_plan_from_parsed(session, actor, simple_plan("市知识产权局", []) | {"title": f"第{n}号计划"}, now=NOW)
            activate_plan(session, actor, created.plan.id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=5)
            plan_ids.append(created.plan.id)
        # The oldest plan is the only one with overdue work: it must lead the page.
        session.execute(update(Milestone).where(Milestone.plan_id == plan_ids[0]).values(due_date=date(2026, 10, 1)))
        session.commit()

    page = client_factory().login("city_admin").get("/").text

    panels = [int(p) for p in re.findall(r'class="card plan-panel" data-plan="(\d+)"', page)]
    assert len(panels) == PANELS_SHOWN
    assert panels[0] == plan_ids[0]
    listed = page.split("其他计划", 1)[1]
    # The district plan is readable by the city office too: 10 active plans in all.
    assert len(re.findall(r'<tr>\s*<td><a href="/plans/\d+">', listed)) == 10 - PANELS_SHOWN


def test_figures_follow_a_change_at_once(session_factory, client_factory):
    from service.milestones import service as workflow
    from tests.factories import milestones_of

    with session_factory() as session:
        world = build_world(session)
    client = client_factory().login("city_admin")
    before = client.get("/").text
    assert "已办结 0 /" in before

    with session_factory() as session:
        milestone = milestones_of(session, world, "ip")[0]
        workflow.submit_report(session, world.actor(session, "ip_user"), milestone.id, text="完成", percent=100, now=NOW)
        workflow.review(session, world.actor(session, "city_admin"), milestone.id, decision="approve", comment=None, now=NOW, confirm_below_100=True)
        session.commit()

    assert "已办结 1 /" in client.get("/").text


def test_figures_follow_a_change_that_writes_no_audit_event(session_factory, client_factory):
    """The cache is keyed by the plans' versions, which database triggers keep, not by the audit log."""
    from sqlalchemy import update

    from service.milestones.models import APPROVED, Milestone
    from tests.factories import milestones_of

    with session_factory() as session:
        world = build_world(session)
    client = client_factory().login("city_admin")
    assert "已办结 0 /" in client.get("/").text

    with session_factory() as session:
        milestone = milestones_of(session, world, "ip")[0]
        session.execute(update(Milestone).where(Milestone.id == milestone.id).values(state=APPROVED, approved_at=NOW))
        session.commit()

    assert "已办结 1 /" in client.get("/").text


def test_concurrent_readers_share_one_computation():
    import threading
    import time

    from service.web.dashboard import FiguresCache

    cache, calls, results = FiguresCache(), [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return "figures"

    readers = [threading.Thread(target=lambda: results.append(cache.get("key", compute))) for _ in range(10)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(calls) == 1 and results == ["figures"] * 10
    assert cache.get("other", lambda: "fresh") == "fresh"


def test_what_is_not_in_a_plan_shows_at_once_beside_the_shared_parts(session_factory, client_factory):
    """The parts shared between views follow the plans' version and the units' names; a unit
    renamed, a report submitted, an extension requested, an item signed all show on the next view."""
    from datetime import timedelta

    from service.departments.models import Department
    from service.milestones import service as workflow
    from tests.factories import milestones_of

    with session_factory() as session:
        world = build_world(session)
        milestone = milestones_of(session, world, "ip")[0]
    client = client_factory().login("city_admin")
    first = client.get("/").text
    assert "没有待审核的报送" in first and "没有待审批的延期申请" in first and "改名后的单位" not in first
    unsigned = re.compile(rf'<tr data-unit="{world.departments["ip"].id}">(?:(?!</tr>).)*?data-label="未签收"><a [^>]*>(\d+)</a>', re.S)
    assert unsigned.search(first).group(1) == "1"

    with session_factory() as session:
        session.get(Department, world.departments["ip"].id).name = "改名后的单位"
        session.commit()
    renamed = client.get("/").text
    assert re.search(r'data-department="\d+"><td>\d+</td><td>改名后的单位</td>', renamed)

    with session_factory() as session:
        workflow.request_extension(session, world.actor(session, "ip_user"), milestone.id,
                                   new_due_date=milestone.due_date + timedelta(days=30), reason="需要时间", now=NOW)
        session.commit()
    assert "没有待审批的延期申请" not in client.get("/").text

    with session_factory() as session:
        workflow.submit_report(session, world.actor(session, "ip_user"), milestone.id, text="完成", percent=100, now=NOW)
        session.commit()
    submitted = client.get("/").text
    assert "没有待审核的报送" not in submitted and "报送于" in submitted
    # Submitting signed the item: its unit has nothing unsigned left.
    assert not unsigned.search(submitted)


def test_viewers_sharing_the_parts_each_get_their_own_name_and_form_token(session_factory, client_factory):
    with session_factory() as session:
        build_world(session)
    admin, leader = client_factory().login("city_admin"), client_factory().login("city_leader")
    admin_page, leader_page = admin.get("/").text, leader.get("/").text
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert ">city_admin</a>" in admin_page and ">city_leader</a>" in leader_page
    assert ">city_admin</a>" not in leader_page
    assert token.search(admin_page).group(1) != token.search(leader_page).group(1)
    # The admin's 催办 forms are not shared with the leader.
    assert "催办全单位" in admin_page and "催办全单位" not in leader_page
    # The shared parts are the same for both.
    section = re.compile(r'<section class="card plan-panel".*?</section>', re.S)
    assert section.findall(admin_page) == section.findall(leader_page) != []
