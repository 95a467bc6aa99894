"""In Chromium on a 390 px phone, against a real server with the demo data: the office
saves the default scheme, computes and publishes (after ticking the confirmation) the
year's scores with the browser; no 考核 page is wider than the screen, for the office
and for a unit. Screenshots go to test-artifacts/phone/assessment-*.png."""

from tests.web.test_browser import browser, pytestmark  # noqa: F401
from tests.web.test_browser_phone import DEPARTMENT_USERNAME, _check, _phone, demo_server  # noqa: F401
from service.demo import ADMIN_USERNAME


def test_assessment_pages_fit_a_phone(demo_server, browser):  # noqa: F811
    base, *_ = demo_server
    office = _phone(browser, base, ADMIN_USERNAME)
    office.goto(f"{base}/assessment/schemes/new")
    office.fill("input[name=name]", "年度工作考核")
    with office.expect_navigation():
        office.click("text=保存方案")
    scheme_path = office.url.removeprefix(base)
    office.goto(f"{base}/assessment")
    today = office.evaluate("new Date().toISOString().slice(0, 10)")
    office.fill("input[name=period_start]", f"{today[:4]}-01-01")
    office.fill("input[name=period_end]", today)
    with office.expect_navigation():
        office.click("text=计算得分")
    result_path = office.url.removeprefix(base)
    assert "已计算考核得分" in office.content()
    office.click("text=发布考核结果")  # the confirmation box is required: nothing is sent
    assert office.url.removeprefix(base) == result_path and "已发布" not in office.content()
    office.check("input[name=confirm]")
    with office.expect_navigation():
        office.click("text=发布考核结果")
    assert "已发布考核结果" in office.content()
    problems = []
    for path, name in [("/assessment", "assessment-office"), (result_path, "assessment-result"),
                       (scheme_path, "assessment-scheme")]:
        problems += _check(office, base, path, name)
    unit = _phone(browser, base, DEPARTMENT_USERNAME)
    problems += _check(unit, base, result_path, "assessment-unit")
    assert problems == [], "\n".join(problems)
