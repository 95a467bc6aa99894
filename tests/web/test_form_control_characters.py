"""Web forms: a control character in any field is a 422 page naming the field,
before any handler stores anything; multi-line Chinese text still goes through;
a pasted plan is cleaned of them as an uploaded one is."""

import pytest
from sqlalchemy import select

from service.milestones.models import Report
from service.plans.models import Measure, Plan
from tests.factories import build_world, milestones_of
from tests.plans.conftest import seed_path
from tests.reliability.conftest import row_counts

MULTI_LINE = "一、已完成调研：\n\t1. 走访企业12家；\r\n\t2. 起草《实施方案》初稿。"

# (user, path with {m} for the user's milestone, page the form is on, form with {bad}, the field named)
FORMS = [
    ("city_admin", "/departments", "/departments", {"name": "市{bad}局", "kind": "unit"}, "name"),
    ("ip_user", "/milestones/{m}/report", "/milestones/{m}", {"text": "进展{bad}", "percent": "50"}, "text"),
    ("ip_user", "/milestones/{m}/extension", "/milestones/{m}",
     {"new_due_date": "2027-03-31", "reason": "原因{bad}"}, "reason"),
    ("city_admin", "/users", "/users",
     {"username": "zhang{bad}", "password": "long-enough-1", "role": "leader"}, "username"),
]


@pytest.mark.parametrize("bad", ["\x00", "\x07"], ids=["NUL", "BEL"])
@pytest.mark.parametrize("user, path, page, form, field", FORMS, ids=[f[1] for f in FORMS])
def test_a_control_character_in_a_form_is_a_422_naming_the_field(
    session, engine, client_factory, bad, user, path, page, form, field
):
    world = build_world(session)
    milestone = milestones_of(session, world, "ip")[0].id
    plan = seed_path("003").read_text(encoding="utf-8").replace("探索", f"探{bad}索")
    client = client_factory().login(user)
    csrf = client.csrf(page.format(m=milestone))
    before = row_counts(engine)
    data = {key: value.format(bad=bad, plan=plan) for key, value in form.items()}
    response = client.post(path.format(m=milestone), data={"csrf_token": csrf} | data, follow_redirects=False)
    assert response.status_code == 422, response.text[:300]
    assert f"{field}: 含有不可见的控制字符（U+{ord(bad):04X}）" in response.text
    assert row_counts(engine) == before  # the audit log among them


def test_multi_line_chinese_report_text_goes_through_a_form(session, client_factory):
    world = build_world(session)
    milestone = milestones_of(session, world, "ip")[0].id
    session.commit()
    page = f"/milestones/{milestone}"
    response = client_factory().login("ip_user").submit(f"{page}/report", {"text": MULTI_LINE, "percent": "40"}, page=page)
    assert response.status_code == 200 and "flash-ok" in response.text, response.text[:300]
    session.expire_all()
    assert session.scalar(select(Report.text).where(Report.milestone_id == milestone)) == MULTI_LINE


def test_a_pasted_plan_is_cleaned_of_control_characters_like_an_uploaded_one(session, client_factory):
    build_world(session)
    session.commit()
    plan = seed_path("003").read_text(encoding="utf-8")
    noisy = plan.replace("探索", "探\x00索", 1).replace("加强", "加\x07强", 1).replace("。\n", "。\x0c", 1)
    response = client_factory().login("city_admin").submit("/plans/import", {"text": noisy}, page="/plans/import")
    assert response.status_code == 200, response.text[:300]
    session.expire_all()
    imported = session.scalars(select(Plan).order_by(Plan.id.desc())).first()
    texts = [imported.source_text or "", *session.scalars(select(Measure.text).where(Measure.plan_id == imported.id))]
    assert len(texts) == 62  # the plan's text and its 61 measures, as from the clean seed
    assert not any(ch in text for text in texts for ch in "\x00\x07\x0c")
