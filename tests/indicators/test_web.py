"""The 指标 section of the plan page and the bulletin, and filing a reading through its form."""

import pytest
from sqlalchemy import select

from service.clock import FixedClock
from service.config import Settings
from service.app import create_app
from service.indicators.models import IndicatorReading
from tests.factories import NOW
from tests.web.conftest import WebClient


@pytest.fixture
def browser(session_factory, database_url):
    app = create_app(Settings(database_url=database_url, secret_key="test-secret"), clock=FixedClock(NOW))
    return lambda username: WebClient(app).login(username)


def _readings(session_factory) -> list[IndicatorReading]:
    with session_factory() as session:
        return session.scalars(select(IndicatorReading)).all()


def test_plan_page_shows_the_targets_and_the_department_files_a_reading(browser, session_factory, world, indicators):
    plan_page = f"/plans/{world.plans['city']}"
    department = browser("ip_user")
    page = department.get(plan_page).text
    assert 'id="indicators"' in page and "发明专利授权" in page and "不低于 100件" in page and "未报送" in page
    response = department.submit(
        f"{plan_page}/indicator-readings",
        {"indicator": str(indicators["city"]), "value": "5", "as_of": "2026-11-01", "note": "统计局口径"},
        page=plan_page, follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"{plan_page}#indicators"
    [reading] = _readings(session_factory)
    assert (reading.value, reading.as_of.isoformat(), reading.note) == (5, "2026-11-01", "统计局口径")
    page = department.get(plan_page).text
    assert "5件" in page and "进度正常" in page and '<svg class="indicator-bar"' in page and 'aria-label="进度 5%"' in page


def test_bulletin_lists_the_indicators_without_a_form(browser, world, indicators):
    page = browser("city_admin").get(f"/bulletins/{world.plans['city']}").text
    assert "三、指标完成情况" in page and "发明专利授权" in page and "市知识产权局" in page
    assert "indicator-readings" not in page


def test_leaders_see_the_table_but_no_form(browser, world, indicators):
    page = browser("city_leader").get(f"/plans/{world.plans['city']}").text
    assert "发明专利授权" in page and "indicator-readings" not in page


def test_another_department_sees_no_section_and_cannot_post(browser, session_factory, world, indicators):
    plan_page = f"/plans/{world.plans['city']}"
    other = browser("dev_user")
    assert 'id="indicators"' not in other.get(plan_page).text
    response = other.submit(
        f"{plan_page}/indicator-readings", {"indicator": str(indicators["city"]), "value": "5", "as_of": "2026-11-01"},
        page=plan_page, follow_redirects=False,
    )
    assert response.status_code == 404 and _readings(session_factory) == []


def test_a_reading_that_is_not_a_number_comes_back_as_a_message(browser, session_factory, world, indicators):
    plan_page = f"/plans/{world.plans['city']}"
    admin = browser("city_admin")
    response = admin.submit(
        f"{plan_page}/indicator-readings", {"indicator": str(indicators["city"]), "value": "很多", "as_of": "2026-11-01"},
        page=plan_page,
    )
    assert response.status_code == 200 and "不是数字" in response.text and _readings(session_factory) == []


def test_an_indicator_of_another_plan_is_not_found(browser, session_factory, world, indicators):
    plan_page = f"/plans/{world.plans['city']}"
    response = browser("city_admin").submit(
        f"{plan_page}/indicator-readings", {"indicator": str(indicators["district"]), "value": "1", "as_of": "2026-11-01"},
        page=plan_page, follow_redirects=False,
    )
    assert response.status_code == 404 and _readings(session_factory) == []
