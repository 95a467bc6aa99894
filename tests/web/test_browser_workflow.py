"""A unit's and the office's day with the 督办件 pages, in Debian's Chromium against a real
server: 全部签收 on a phone, a progress report that leaves the item open, a 办结申请 returned and
then approved in a confirmed batch, and a manual 催办 that reaches the unit's WeCom robot
(the local robot receiver)."""

import threading

import pytest
from sqlalchemy import select

from service.config import Settings
from service.database import make_engine, make_session_factory
from service.delivery.dispatcher import dispatch_once
from service.delivery.models import Channel
from service.migrate import upgrade_database
from service.auth.models import User
from service.plans.models import Assignment, Measure
from tests.factories import NOW, build_world
from tests.milestones.test_assignments import phased_plan
from tests.web.test_browser import OFFICE_PC, PHONE, browser, fits_phone, login, serving, shot  # noqa: F401 (fixture)

ROBOT_KEY = "ip-robot-key"


@pytest.fixture
def day(tmp_path, robot_receiver):
    """A running server over a world whose 市知识产权局 has a two-phase plan and a WeCom robot."""
    url = f"sqlite:///{tmp_path / 'day.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        world = build_world(session)
        plan_id = phased_plan(session, world)
        session.add(Channel(office_id=world.offices["city"].id, department_id=world.departments["ip"].id,
                            audience="department", type="wecom", target=ROBOT_KEY, mentions=[], enabled=True,
                            created_at=NOW))
        session.commit()
        items = list(session.scalars(select(Assignment.id).join(Assignment.measure).where(
            Assignment.department_id == world.departments["ip"].id, Assignment.measure.has(plan_id=plan_id)
        ).order_by(Assignment.id)))
    engine.dispose()
    with serving(url) as base:
        yield base, url, items


def test_a_units_day_and_the_offices_in_the_browser(day, browser, robot_receiver):
    base, url, items = day
    unit = login(browser, base, "ip_user", PHONE)
    assert unit.url.endswith("/inbox") and fits_phone(unit)
    assert unit.locator("a[href='/reviews']").count() == 0  # no 审核 navigation for a unit
    assert unit.locator("[data-assignment]").count() == 4  # one row per measure, not per phase
    shot(unit, "wf-01-phone-worklist")
    with unit.expect_navigation():
        unit.click("form[action='/inbox/sign'] button")
    assert "已签收 4 项督办件" in unit.content() and "全部签收" not in unit.content()

    # A progress report: the item stays open.
    unit.goto(f"{base}/assignments/{items[0]}")
    unit.fill("#progress-form textarea[name=text]", "已完成调研，形成初步方案。")
    unit.fill("#progress-form input[name=percent]", "30")
    with unit.expect_navigation():
        unit.click("#progress-form button[type=submit]")
    assert "进展已报送" in unit.content() and "已办结节点 0/2" in unit.content()
    assert fits_phone(unit)
    shot(unit, "wf-02-phone-item")

    # A 办结申请 on the first checkpoint, returned with a reason, then approved.
    with unit.expect_navigation():
        unit.locator("#checkpoints a", has_text="办结申请").first.click()
    milestone_url = unit.url.split("#")[0]
    unit.fill("#report textarea[name=text]", "第一阶段工作全部完成。")
    unit.fill("#report input[name=percent]", "100")
    with unit.expect_navigation():
        unit.click("#report button[type=submit]")
    assert "办结申请已提交" in unit.content()

    office = login(browser, base, "city_admin", OFFICE_PC)
    office.goto(f"{base}/reviews")
    card = office.locator("[data-milestone]", has_text="第一阶段工作全部完成").first
    card.locator("textarea[name=comment]").fill("请附上验收材料")
    with office.expect_navigation():
        card.locator("button[value=return]").click()
    assert "已退回" in office.content()

    unit.goto(milestone_url)
    assert "请附上验收材料" in unit.content()
    unit.fill("#report textarea[name=text]", "已补充验收材料。")
    unit.fill("#report input[name=percent]", "100")
    with unit.expect_navigation():
        unit.click("#report button[type=submit]")

    office.goto(f"{base}/reviews")
    card = office.locator("[data-milestone]", has_text="已补充验收材料").first
    assert "请附上验收材料" in card.text_content()  # the previous return reason, folded
    card.locator("input[name=ids]").check()
    with office.expect_navigation():
        office.click("form#batch button")
    assert "确认通过以下 1 项办结申请" in office.content()
    shot(office, "wf-03-batch-confirm")
    office.check("input[name=confirmed]")
    with office.expect_navigation():
        office.click("form[action='/reviews/approve'] button[type=submit]")
    assert "已通过 1 项办结申请" in office.content()
    unit.goto(f"{base}/assignments/{items[0]}")
    assert "已办结节点 1/2" in unit.content()

    # The office chases another item by hand; it reaches the unit's robot.
    office.goto(f"{base}/")
    assert office.locator("table.units [data-unit]").count() >= 2
    shot(office, "wf-04-dashboard-units")
    office.goto(f"{base}/assignments/{items[1]}")
    office.select_option("#chase select[name=level]", "urge")
    with office.expect_navigation():
        office.click("#chase button[type=submit]")
    assert "已催办 1 项督办件" in office.content()
    with office.expect_navigation():
        office.click("#chase button[type=submit]")
    assert "今天已催办过" in office.content()
    # What the server's dispatcher does every few seconds, in a thread of its own (Playwright holds this one's loop).
    settings = Settings(database_url=url, secret_key="browser-test", wecom_base_url=robot_receiver.base_url)
    sender = threading.Thread(target=dispatch_once, args=(make_session_factory(make_engine(url)), settings))
    sender.start()
    sender.join(timeout=30)
    [message] = robot_receiver.received(kind="wecom", key=ROBOT_KEY)
    assert "催办" in str(message.payload)


def test_each_irreversible_action_asks_first_in_the_browser(day, browser):
    """退回 without a reason, deleting a channel, revoking a plan's links and deactivating a
    user: none happens on one click; each goes through once its 确认 is given."""
    base, _url, items = day
    unit = login(browser, base, "ip_user", PHONE)
    unit.goto(f"{base}/assignments/{items[0]}")
    with unit.expect_navigation():
        unit.locator("#checkpoints a", has_text="办结申请").first.click()
    unit.fill("#report textarea[name=text]", "第一阶段工作全部完成。")
    unit.fill("#report input[name=percent]", "100")
    with unit.expect_navigation():
        unit.click("#report button[type=submit]")

    office = login(browser, base, "city_admin", OFFICE_PC)
    office.goto(f"{base}/reviews")
    card = office.locator("[data-milestone]", has_text="第一阶段工作全部完成").first
    with office.expect_navigation():
        card.locator("button[value=return]").click()
    assert "退回时必须填写意见" in office.content()
    assert office.locator("[data-milestone]", has_text="第一阶段工作全部完成").count() == 1

    def confirm_then(path: str, form: str, done: str) -> None:
        office.goto(f"{base}{path}")
        target = office.locator(f"form[action='{form}']")
        folded = target.locator("xpath=ancestor::details[1]")
        if folded.count():
            folded.locator("xpath=./summary").click()
        before = office.url
        target.locator("button[type=submit]").click()  # unticked: the browser holds the post back
        assert office.url == before and done not in office.content()
        target.locator("input[name=confirm]").check()
        with office.expect_navigation():
            target.locator("button[type=submit]").click()
        assert done in office.content(), path

    with make_session_factory(make_engine(_url))() as session:
        channel = session.scalars(select(Channel).where(Channel.target == ROBOT_KEY)).one()
        plan_id = session.scalars(select(Measure.plan_id).join(Assignment, Assignment.measure_id == Measure.id).where(Assignment.id == items[0])).one()
        user_id = session.scalars(select(User.id).where(User.username == "dev_user")).one()
    confirm_then(f"/departments/{channel.department_id}", f"/channels/{channel.id}/delete", "渠道已删除")
    confirm_then(f"/plans/{plan_id}/reminder-policy", f"/plans/{plan_id}/links/revoke", "已撤销本计划此前发出的所有链接")
    confirm_then("/users", f"/users/{user_id}/active", "已停用该用户")
