"""The plan page's 定期报送 form: the office admin sets the cycle; a refusal comes back
(422) with what was typed and the reason beside the field; a unit only reads it."""

from service.plans.models import Plan
from tests.factories import build_world
from tests.milestones.test_assignments import phased_plan


def saved_cycle(session, plan_id: int) -> tuple[str, int | None]:
    """The plan's cycle as the page committed it. A rollback alone is no fresh read: with
    no transaction open it does nothing, and the Plan loaded before (expire_on_commit=False)
    answers from the identity map for as long as the garbage collector has not freed it
    (it sits in reference cycles with its phases and tasks), so the row is read again."""
    session.rollback()
    plan = session.get(Plan, plan_id, populate_existing=True)
    cycle = (plan.reporting_cycle, plan.reporting_day)
    session.rollback()  # hold no read snapshot while the app writes
    return cycle


def test_the_admin_sets_the_reporting_cycle_on_the_plan_page(session, client_factory):
    world = build_world(session)
    plan_id = phased_plan(session, world)
    session.commit()
    page = f"/plans/{plan_id}"
    admin = client_factory().login("city_admin")
    shown = admin.get(page).text
    assert "当前：不设定期报送" in shown and 'value="none" checked' in shown
    assert all(label in shown for label in ("不设", "每周", "每季度", 'aria-label="每月报送日"'))

    refused = admin.submit(f"{page}/reporting-cycle", {"cycle": "monthly", "day": "31"}, page=page)
    assert refused.status_code == 422
    assert 'value="monthly" checked' in refused.text and 'value="31"' in refused.text
    assert '<span class="field-error" role="alert">每月报送须指定每月的报送日（1 到 28 日）</span>' in refused.text
    refused = admin.submit(f"{page}/reporting-cycle", {"cycle": "monthly", "day": "十五"}, page=page)
    assert refused.status_code == 422 and 'value="十五"' in refused.text and "1 到 28 之间的整数" in refused.text
    assert saved_cycle(session, plan_id) == ("none", None)

    saved = admin.submit(f"{page}/reporting-cycle", {"cycle": "monthly", "day": "15"}, page=page)
    assert saved.status_code == 200 and "报送周期已设为：每月15日" in saved.text
    assert "当前：每月15日" in saved.text and 'value="15"' in saved.text
    assert saved_cycle(session, plan_id) == ("monthly", 15)

    unit = client_factory().login("ip_user")
    seen = unit.get(page).text
    assert "当前：每月15日" in seen and f'action="{page}/reporting-cycle"' not in seen
    assert unit.submit(f"{page}/reporting-cycle", {"cycle": "weekly"}, page=page).status_code == 403
