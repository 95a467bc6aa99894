"""In Chromium against a real server with the demo data: on a 390 px phone the
bulletin (with an indicator table), an issued bulletin's preview and the 督办单
pages are no wider than the screen, the indicators become cards; printed, a 督办单
is one A4 page. Screenshots go to test-artifacts/phone/, the printed PDF to
test-artifacts/documents/."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from service.auth.models import User
from service.auth.service import actor_for_user
from service.bootstrap import service_database
from service.bulletins import service
from service.config import Settings
from service.demo import ADMIN_USERNAME, DEMO_PASSWORD, load_demo
from service.flows.supervision import issue_notice
from service.indicators import service as indicators
from service.milestones.models import Milestone
from service.plans.models import PLAN_ACTIVE, Assignment, Plan
from tests.bulletins.conftest import ARTIFACTS
from tests.web.test_browser import browser, pytestmark, serving  # noqa: F401
from tests.web.test_browser_phone import _check, _phone

LONG_NAME = "全市发明专利授权量及每万人口发明专利拥有量（含高价值发明专利）"


@pytest.fixture(scope="module")
def documents_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('documents') / 'demo.db'}"
    settings = Settings(database_url=url, secret_key="documents-test")
    load_demo(settings)
    now = datetime.now(timezone.utc)
    today = now.astimezone(settings.tz).date()
    with service_database(settings) as (session_factory, _), session_factory() as session:
        actor = actor_for_user(session, session.scalars(select(User).where(User.username == ADMIN_USERNAME)).one())
        plan_id = session.scalars(select(Plan.id).where(Plan.status == PLAN_ACTIVE).order_by(Plan.id)).first()
        unit = session.scalars(select(Milestone.department_id).where(Milestone.plan_id == plan_id)).first()
        indicator = indicators.create_indicator(
            session, actor, plan_id, {"name": LONG_NAME, "target_value": 12000, "unit": "件", "department_id": unit},
            now=now,
        )
        indicators.add_reading(session, actor, indicator.id, value="8650.5", as_of=today.isoformat(), note="统计口径", now=now)
        draft = service.create_draft(session, actor, plan_id, None, today=today, tz=settings.tz, now=now)
        service.update_draft(session, actor, draft.id, narrative="各单位总体推进有力。", next_steps="加快逾期事项整改。", now=now)
        service.issue(session, actor, draft.id, today=today, tz=settings.tz, now=now)
        assignment_id = session.scalars(select(Milestone.assignment_id).where(
            Milestone.plan_id == plan_id, Milestone.state != "approved").order_by(Milestone.id)).first()
        notice = issue_notice(session, settings, actor, assignment_id, colour="red", requirement="立即整改。" * 20,
                              answer_by=today.isoformat(), send=False, now=now)
        session.commit()
        ids = {"plan": plan_id, "document": draft.id, "notice": notice.id, "assignment": session.get(Assignment, assignment_id).id}
    with serving(url) as base:
        yield base, ids


def test_document_pages_fit_a_phone_and_indicators_become_cards(documents_server, browser):  # noqa: F811
    base, ids = documents_server
    office = _phone(browser, base, ADMIN_USERNAME)
    problems = []
    for path, name in [
        (f"/bulletins/{ids['plan']}", "office-bulletin-indicators"),
        (f"/bulletin-documents/{ids['document']}", "office-bulletin-document"),
        (f"/supervision-notices/{ids['notice']}", "office-supervision-notice"),
        (f"/assignments/{ids['assignment']}/supervision", "office-supervision-form"),
    ]:
        problems += _check(office, base, path, name)
        if "bulletin" in name:
            assert LONG_NAME in office.content()
            # The indicator table is cards: no header row shown, each row a block as wide as the screen at most.
            assert office.evaluate(
                "[...document.querySelectorAll('#indicators thead, [data-list=indicators] thead')]"
                ".every(h => getComputedStyle(h).display === 'none')")
    assert problems == [], "\n".join(problems)


def test_a_printed_notice_is_one_a4_page(documents_server, browser):  # noqa: F811
    base, ids = documents_server
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", ADMIN_USERNAME)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/supervision-notices/{ids['notice']}")
    page.emulate_media(media="print")
    assert not page.locator(".page-head").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "督办单-打印.pdf").write_bytes(pdf)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
