"""Chromium screenshots of the office's editing pages, and the signed milestone
link page on a 390×844 phone without horizontal scrolling."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from service.config import Settings
from service.database import make_engine, make_session_factory
from service.milestones.models import Milestone
from service.reminders.links import milestone_link
from tests.factories import build_world  # noqa: F401  (the server fixture builds it)
from tests.web.test_browser import OFFICE_PC, PHONE, browser, fits_phone, login, server, shot  # noqa: F401

pytestmark = __import__("tests.web.test_browser", fromlist=["pytestmark"]).pytestmark


def _first_milestone(tmp_path) -> Milestone:
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    try:
        with make_session_factory(engine)() as session:
            return session.scalars(select(Milestone).order_by(Milestone.id)).first()
    finally:
        engine.dispose()


def test_milestone_link_page_on_a_phone(server, browser, tmp_path):
    milestone = _first_milestone(tmp_path)
    settings = Settings(secret_key="browser-test", base_url=server)
    url = milestone_link(settings, milestone, 1, datetime.now(timezone.utc) - timedelta(days=1), acts=True)
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.goto(url)
    assert "已签收" not in page.content()  # opening shows; the button acknowledges
    with page.expect_navigation():
        page.click("form[action$='/acknowledge'] button[type=submit]")
    assert "已签收" in page.content()
    assert page.locator("link[href='/static/duban.css']").count() == 1
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert fits_phone(page)
    shot(page, "30-phone-milestone-link")
    page.goto(f"{server}/m/not-a-token")
    assert "无法打开此链接" in page.content() and fits_phone(page)
    shot(page, "31-phone-milestone-link-invalid")


def test_office_edit_pages(server, browser):
    office = login(browser, server, "city_admin", OFFICE_PC)
    office.goto(f"{server}/departments")
    office.click("#new-department input[name=name]")
    office.fill("#new-department input[name=name]", "各区政府")
    office.select_option("#new-department select[name=kind]", "group")
    with office.expect_navigation():
        office.click("#new-department button[type=submit]")
    assert "单位已添加" in office.content()
    office.check("#members input[type=checkbox] >> nth=0")
    with office.expect_navigation():
        office.click("#members button[type=submit]")
    office.click("#channels summary")
    office.select_option("#channels select[name=type]", "wecom")
    office.fill("#channels input[name=target]", "robot-key-1234567890")
    office.fill("#channels input[name=secret]", "SEC-secret-value")
    with office.expect_navigation():
        office.click("#channels form[action$='/channels'] button[type=submit]")
    assert "通知渠道已添加" in office.content() and "密钥：已设置" in office.content()
    assert "SEC-secret-value" not in office.content() and "robot-key-1234567890" not in office.content()
    office.click("#channels .channel-edit summary")
    office.fill("#channels .channel-edit input[name=target]", "rotated-key-0987654321")
    office.fill("#channels .channel-edit input[name=mentions]", "13800000000")
    office.click("#channels .channel-edit button[type=submit]")
    office.wait_for_selector(".flash-ok:has-text('渠道已保存')")
    assert "key …4321" in office.content() and "@13800000000" in office.content()
    assert "SEC-secret-value" not in office.content() and "rotated-key-0987654321" not in office.content()
    shot(office, "20-department-edit")
    office.goto(f"{server}/departments")
    shot(office, "21-directory")
    office.goto(f"{server}/users")
    shot(office, "22-users")
    office.goto(f"{server}/plans")
    with office.expect_navigation():
        office.click("main a:has-text('市知识产权局测试行动计划')")
    with office.expect_navigation():
        office.click("a[href$='/reminder-policy']")
    shot(office, "23-reminder-policy")
    office.select_option("select[name=step-7-side]", "before")
    office.fill("input[name=step-7-count]", "10")
    with office.expect_navigation():
        office.click("#policy-form button.primary")
    assert "催办规则已保存" in office.content()
    assert office.locator("select[name=step-0-side]").input_value() == "before"
    assert office.locator("input[name=step-0-count]").input_value() == "10"

    phone = login(browser, server, "city_admin", PHONE)
    for path, name in [("/departments", "24-phone-directory"), ("/users", "25-phone-users")]:
        phone.goto(f"{server}{path}")
        assert fits_phone(phone), path
        shot(phone, name)
