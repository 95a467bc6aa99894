"""End to end in Debian's Chromium against a real uvicorn server: import the Guangzhou
plan, map departments, activate; a department acknowledges and reports on a phone;
the office returns, then approves; the dashboard's lights and ranking follow.

Screenshots of every page go to test-artifacts/screenshots/.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from service.database import make_engine, make_session_factory
from service.migrate import upgrade_database
from tests.factories import PASSWORD, build_world

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SEED = ROOT / "tests" / "data" / "seeds" / "003_36280e565d71b47e.txt"
PHONE = {"width": 390, "height": 844}
OFFICE_PC = {"width": 1366, "height": 768}

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") or os.path.exists(CHROMIUM)), reason="Chromium is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(url: str) -> Iterator[str]:
    """A uvicorn server on the database at `url`; yields its base URL."""
    port = _free_port()
    env = os.environ | {"DUBAN_DATABASE_URL": url, "DUBAN_SECRET_KEY": "browser-test", "DUBAN_BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(process.stderr.read1().decode(errors="replace") if process.stderr else "no server")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        build_world(session)
    engine.dispose()
    with serving(url) as base:
        yield base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"],
        )
        yield browser
        browser.close()


def login(browser, base: str, username: str, viewport: dict):
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def ranking_row(page, department: str) -> tuple[int, str]:
    row = page.locator("table.ranking tr", has_text=department).first
    return int(row.locator("td.overdue").text_content()), row.locator("td").nth(4).text_content()


def test_import_report_return_approve_in_the_browser(server, browser, tmp_path):
    office = login(browser, server, "city_admin", OFFICE_PC)
    shot(office, "01-dashboard-before")
    office.goto(f"{server}/plans/import")
    shot(office, "02-import-upload")
    office.set_input_files("input[name=document]", str(SEED))
    with office.expect_navigation():
        office.click("form[action='/plans/import'] button[type=submit]")
    assert "单位匹配" in office.content()
    shot(office, "03-import-preview")
    for select in office.locator("tr[data-unmatched] select").all():
        select.select_option("new")
    with office.expect_navigation():
        office.click("form[action$='/mapping'] button[type=submit]")
    assert "所有单位均已匹配" in office.content()
    with office.expect_navigation():
        office.click("a[href$='/activate']")
    assert "项督办件" in office.locator("#activate").inner_text()
    office.check("form[action$='/activate'] input[name=confirm]")
    with office.expect_navigation():
        office.click("form[action$='/activate'] button[type=submit]")
    assert "计划已启动" in office.content()
    plan_url = office.url
    shot(office, "04-plan")
    office.goto(f"{server}/")
    overdue_before, done_before = ranking_row(office, "市知识产权局")
    assert overdue_before > 0  # the Guangzhou phases ended in 2017–2020
    shot(office, "05-dashboard-after-import")

    department = login(browser, server, "ip_user", PHONE)
    assert department.url.endswith("/inbox")
    assert fits_phone(department)
    shot(department, "06-phone-inbox")
    # The imported plan's items (the world's own plan is listed first).
    department.goto(f"{server}/inbox?plan_id={plan_url.split('/plans/')[1].split('?')[0]}")
    item = department.locator("[data-assignment]").first
    with department.expect_navigation():
        item.locator("a").first.click()
    with department.expect_navigation():
        department.locator("#checkpoints a").first.click()
    milestone_url = department.url.split("#")[0]
    with department.expect_navigation():
        department.click("form[action$='/ack'] button[type=submit]")
    assert "已签收" in department.content()
    attachment = tmp_path / "进展材料.pdf"
    attachment.write_bytes(b"%PDF-1.4 progress")
    department.fill("textarea[name=text]", "已完成知识产权综合管理改革调研，形成初步方案。")
    department.fill("input[name=percent]", "60")
    department.set_input_files("input[name=attachments]", str(attachment))
    assert fits_phone(department)
    shot(department, "07-phone-report-form")
    with department.expect_navigation():
        department.click("form[action$='/report'] button[type=submit]")
    assert "办结申请已提交" in department.content() and "进展材料.pdf" in department.content()
    assert fits_phone(department)
    shot(department, "08-phone-milestone-submitted")

    office.goto(f"{server}/reviews")
    shot(office, "09-reviews")
    card = office.locator("[data-milestone]", has_text="已完成知识产权综合管理改革调研").first
    card.locator("textarea[name=comment]").fill("请补充改革方案的时间表")
    with office.expect_navigation():
        card.locator("button[value=return]").click()
    assert "已退回" in office.content()

    department.goto(milestone_url)
    assert "请补充改革方案的时间表" in department.content()
    shot(department, "10-phone-returned")
    department.fill("textarea[name=text]", "已补充时间表：2017年6月前完成方案报批。")
    department.fill("input[name=percent]", "100")
    with department.expect_navigation():
        department.click("form[action$='/report'] button[type=submit]")

    office.goto(milestone_url)
    shot(office, "11-milestone-review")
    office.check("#review input[name=confirm]")
    with office.expect_navigation():
        office.click("#review button[value=approve]")
    assert "节点办结" in office.content()
    office.goto(f"{server}/")
    overdue_after, done_after = ranking_row(office, "市知识产权局")
    assert overdue_after == overdue_before - 1
    assert int(done_after.split("/")[0]) == int(done_before.split("/")[0]) + 1
    assert office.locator(".light-green").count() > 0
    shot(office, "12-dashboard-after-approval")
    office.goto(plan_url.split("?")[0].replace("/plans/", "/bulletins/"))
    shot(office, "13-bulletin")
    office.goto(f"{server}/departments")
    shot(office, "14-departments")
    office.goto(f"{server}/notifications")
    shot(office, "15-notifications")

    department.goto(f"{server}/milestones/999999")
    assert "页面不存在" in department.content()
    shot(department, "16-phone-404")


def test_login_page_on_a_phone(server, browser):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server}/plans")
    assert "/login?next=/plans" in page.url
    assert fits_phone(page)
    shot(page, "00-phone-login")
