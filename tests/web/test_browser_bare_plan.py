"""A plan whose document names no units (seed 004, a 工作要点) made ready and
activated through the review page alone: phases added, units given to measures
by task and all at once, activated."""

import re

from tests.web.test_browser import OFFICE_PC, ROOT, browser, login, pytestmark, server, shot  # noqa: F401
from tests.web.test_browser_csp import _watch

SEED = ROOT / "tests" / "data" / "seeds" / "004_705857eeb3f70b0e.txt"


def test_a_plan_without_annotations_is_made_ready_on_the_page(server, browser):  # noqa: F811
    office = login(browser, server, "city_admin", OFFICE_PC)
    refused = _watch(office)
    office.goto(f"{server}/plans/import")
    office.set_input_files("input[name=document]", str(SEED))
    with office.expect_navigation():
        office.click("form[action='/plans/import'] button[type=submit]")
    assert office.locator("[data-blockers] li").count() > 1
    assert office.locator("a[href$='/activate']").count() == 0  # no way to start it while something blocks
    assert "可以启动计划" not in office.content()
    shot(office, "bare-01-blocked")

    for name, day in (("部署阶段", "2026-12-31"), ("推进阶段", "2027-06-30")):
        office.fill("#phase-new input[name=name]", name)
        office.fill("#phase-new input[name=deadline]", day)
        with office.expect_navigation():
            office.click("#phase-new button[type=submit]")
    assert office.locator("#phases form[id^=phase-] input[name=name]").count() == 3  # two phases and the new-phase form

    # The first task's box ticks its measures (the static script); its units go to those measures.
    first_group = office.locator("[data-task-group]").first
    first_group.locator("input[data-check-task]").check()
    assert all(box.is_checked() for box in first_group.locator("input[name=measure]").all())
    lead = office.locator("#assign input[name=lead]")
    lead.fill("sfzggw")
    lead.blur()  # initials become the unit's name as the field is left (the static script)
    assert lead.input_value() == "市发展改革委"
    # A name picked from the list adds to the names typed before it (the static script).
    support = office.locator("#assign input[name=support]")
    support.fill("市发展改革委、")
    support.evaluate(
        "field => { field.value = '市知识产权局';"
        " field.dispatchEvent(new InputEvent('input', {inputType: 'insertReplacementText', bubbles: true})); }"
    )
    assert support.input_value() == "市发展改革委、市知识产权局"
    support.fill("市知识产权局")
    with office.expect_navigation():
        office.click("#assign button[type=submit]")
    assert re.search(r"已为 \d+ 条措施分配单位", office.content())
    assert "市发展改革委" in first_group.inner_text()

    # Then every measure at once, lead only.
    office.check("#assign input[name=every]")
    office.fill("#assign input[name=lead]", "市知识产权局")
    with office.expect_navigation():
        office.click("#assign button[type=submit]")
    assert office.locator("[data-blockers]").count() == 0 and office.locator("[data-ready]").count() == 1
    shot(office, "bare-02-ready")
    with office.expect_navigation():
        office.click("a[href$='/activate']")  # the confirmation page says what starting it creates
    assert "个单位交办" in office.content()
    office.check("#activate input[name=confirm]")
    with office.expect_navigation():
        office.click("#activate button[type=submit]")
    assert "计划已启动" in office.content()
    shot(office, "bare-03-activated")
    assert refused == []
