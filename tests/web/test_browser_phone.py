"""On a 390 px phone (WeCom's browser), in Chromium against a real server with the
demo data: no main page is wider than the screen, the navigation folds into a menu,
and the chart labels are readable. Screenshots go to test-artifacts/phone/."""

import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select

from service.bootstrap import service_database
from service.config import Settings
from service.demo import ADMIN_USERNAME, DEMO_PASSWORD, LEADER_USERNAME, load_demo
from service.departments.models import Department
from service.milestones.models import Milestone
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.web.test_browser import CHROMIUM, PHONE, ROOT, _free_port, browser, pytestmark  # noqa: F401

SHOTS = ROOT / "test-artifacts" / "phone"
DEPARTMENT_USERNAME = "zscqj"
READABLE_PX = 10  # chart text at the rendered size: a 5 px label cannot be read


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('phone') / 'demo.db'}"
    settings = Settings(database_url=url, secret_key="phone-test")
    load_demo(settings)
    with service_database(settings) as (session_factory, _):
        run_scan(session_factory, settings, WorkdayCalendar())
        with session_factory() as session:
            unit = session.scalars(select(Department.id).where(Department.name == "市知识产权局")).one()
            milestone = session.scalars(select(Milestone.id).where(Milestone.department_id == unit)).first()
    port = _free_port()
    env = os.environ | {"DUBAN_DATABASE_URL": url, "DUBAN_SECRET_KEY": "phone-test"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from service.cli import main; main()", "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, unit, milestone
    finally:
        process.terminate()
        process.wait(timeout=10)


def _phone(browser, base: str, username: str):  # noqa: F811
    page = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def _check(page, base: str, path: str, name: str) -> list[str]:
    page.goto(f"{base}{path}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    problems = [f"{path}: {width} px wide on a {viewport} px screen"] if width > viewport else []
    small = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height)
                 .filter(h => h > 0 && h < %d).length""" % READABLE_PX
    )
    problems += [f"{path}: {small} chart labels under {READABLE_PX} px"] if small else []
    # A table that scrolls sideways inside its card hides columns: lists become cards instead.
    sideways = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1).length"
    )
    return problems + ([f"{path}: {sideways} tables scroll sideways"] if sideways else [])


def test_main_pages_fit_a_phone(demo_server, browser):  # noqa: F811
    base, unit, milestone = demo_server
    office = _phone(browser, base, ADMIN_USERNAME)
    # The navigation is one menu button until opened.
    assert not office.locator("nav.nav-wide").is_visible() and office.locator("details.menu > summary").is_visible()
    menu_height = office.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")
    assert menu_height <= 60, menu_height
    problems = []
    for path, name in [
        ("/", "office-dashboard"), ("/plans", "office-plans"), ("/plans/1", "office-plan"),
        ("/plans/1/reminder-policy", "office-policy"), ("/bulletins/1", "office-bulletin"), ("/reviews", "office-reviews"),
        ("/departments", "office-departments"), (f"/departments/{unit}", "office-department"),
        ("/notifications", "office-notifications"), ("/messages", "office-messages"), ("/audit", "office-audit"),
        ("/users", "office-users"), ("/holidays", "office-holidays"), ("/account", "office-account"),
        (f"/milestones/{milestone}", "office-milestone"), ("/plans/import", "office-import"),
    ]:
        problems += _check(office, base, path, name)
    leader = _phone(browser, base, LEADER_USERNAME)
    problems += _check(leader, base, "/", "leader-dashboard")
    department = _phone(browser, base, DEPARTMENT_USERNAME)
    for path, name in [("/inbox", "unit-inbox"), ("/plans/1", "unit-plan"), (f"/milestones/{milestone}", "unit-milestone"),
                       ("/departments", "unit-department")]:
        problems += _check(department, base, path, name)
    assert problems == [], "\n".join(problems)


def test_the_menu_opens_without_javascript(demo_server, browser):  # noqa: F811
    base, *_ = demo_server
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", ADMIN_USERNAME)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert not page.get_by_role("link", name="操作记录").is_visible()
    page.click("details.menu > summary")
    assert page.get_by_role("link", name="操作记录").is_visible()


# Elements that reach past the screen's right edge, outside any box that clips or scrolls them.
PAST_THE_EDGE = """() => [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= window.innerWidth + 1) return false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') return false;
    }
    return true;
}).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _fits_with_a_menu(page, base: str, path: str, name: str) -> list[str]:
    problems = _check(page, base, path, name)
    past = page.evaluate(PAST_THE_EDGE)
    problems += [f"{path}: past the right edge: {', '.join(past[:5])}"] if past else []
    if page.locator("nav.nav-wide").is_visible() or not page.locator("details.menu > summary").is_visible():
        problems.append(f"{path}: the navigation is not folded into a menu")
    return problems


def test_the_workflow_pages_fit_a_phone_with_the_navigation_in_a_menu(demo_server, browser):  # noqa: F811
    """The 督办件 pages: the unit's work list and item, the office's lists, the review queue (and
    its batch confirmation), the dashboard's unit table and the 消息预览, at 390 px."""
    base, unit, _ = demo_server
    department = _phone(browser, base, DEPARTMENT_USERNAME)
    department.goto(f"{base}/inbox")
    item = department.locator("[data-assignment]").first.get_attribute("data-assignment")
    problems = []
    for path, name in [("/inbox", "wf-unit-worklist"), ("/inbox?status=unsigned", "wf-unit-worklist-unsigned"),
                       (f"/assignments/{item}", "wf-unit-item")]:
        problems += _fits_with_a_menu(department, base, path, name)
    # A 办结申请 from the phone, for the office's queue below.
    department.goto(f"{base}/assignments/{item}")
    with department.expect_navigation():
        department.locator("#checkpoints a").first.click()
    department.fill("#report textarea[name=text]", "第一阶段工作已完成（手机报送）。")
    department.fill("#report input[name=percent]", "100")
    with department.expect_navigation():
        department.click("#report button[type=submit]")
    assert "办结申请已提交" in department.content()
    office = _phone(browser, base, ADMIN_USERNAME)
    for path, name in [
        ("/", "wf-office-dashboard"), ("/assignments", "wf-office-assignments"),
        (f"/assignments?department_id={unit}&status=overdue", "wf-office-assignments-overdue"),
        (f"/assignments/{item}", "wf-office-item"), ("/reviews", "wf-office-reviews"), ("/messages", "wf-office-messages"),
    ]:
        problems += _fits_with_a_menu(office, base, path, name)
    # The dashboard's unit table is there, as cards, each count a link to the filtered list.
    office.goto(f"{base}/")
    assert office.locator("table.units [data-unit]").count() > 1
    assert office.locator("table.units a[href*='/assignments?']").count() > 0
    # The review queue's batch confirmation lists what it approves, and fits too.
    office.goto(f"{base}/reviews")
    office.locator("[data-milestone]", has_text="手机报送").locator("input[name=ids]").check()
    with office.expect_navigation():
        office.click("form#batch button")
    assert "确认通过以下 1 项办结申请" in office.content()
    office.screenshot(path=str(SHOTS / "wf-office-batch-confirm.png"), full_page=True)
    assert office.evaluate(PAST_THE_EDGE) == [] and office.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == [], "\n".join(problems)
