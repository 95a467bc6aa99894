"""The pages and the API documentation under the Content-Security-Policy, in
Chromium: nothing refused, Swagger UI renders from local files, and the pages'
few behaviours (select the calendar address on focus) run from duban.js."""

from tests.web.test_browser import OFFICE_PC, browser, login, server  # noqa: F401

pytestmark = __import__("tests.web.test_browser", fromlist=["pytestmark"]).pytestmark


def _watch(page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    # A request the next navigation cancels (the favicon, fetched late) is not refused by anything.
    page.on("requestfailed", lambda request: None if request.failure == "net::ERR_ABORTED"
            else refused.append(f"failed: {request.url} ({request.failure})"))
    return refused


def test_pages_and_docs_run_under_the_policy(server, browser):
    office = login(browser, server, "city_admin", OFFICE_PC)
    refused = _watch(office)
    for path in ("/", "/plans", "/plans/1", "/reviews", "/departments", "/notifications", "/bulletins/1", "/audit",
                 "/users", "/holidays", "/plans/import"):
        office.goto(f"{server}{path}")
        office.wait_for_load_state("networkidle")
    office.goto(f"{server}/docs")
    office.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert office.locator(".swagger-ui .opblock").count() > 20
    assert refused == []

    department = login(browser, server, "ip_user", OFFICE_PC)
    refused = _watch(department)
    department.goto(f"{server}/inbox")
    with department.expect_navigation():
        department.get_by_role("button", name="生成订阅地址").click()
    field = department.locator("input[data-select-on-focus]")
    field.focus()
    selected = department.evaluate("window.getSelection().toString() || document.activeElement.value.substring("
                                   "document.activeElement.selectionStart, document.activeElement.selectionEnd)")
    assert selected and selected == field.input_value()
    assert refused == []
