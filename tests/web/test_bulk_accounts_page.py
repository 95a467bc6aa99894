"""The users page opens accounts for all units at once: passwords shown once on a
page no cache keeps, downloadable, to be changed at first login; a refused file
comes back with the rows named beside the upload field."""

import io
import re

from openpyxl import load_workbook

from service.departments.models import Department
from tests.flows.test_accounts import HEADER, xlsx
from tests.factories import NOW


def _add_units(session_factory, world, *names):
    with session_factory() as session:
        session.add_all(Department(office_id=world.offices["city"].id, name=n, created_at=NOW) for n in names)
        session.commit()


def test_accounts_for_every_unit_shown_once_downloaded_and_changed_at_first_login(client_factory, session_factory, world):
    _add_units(session_factory, world, "市财政局", "市教育局")
    admin = client_factory().login("city_admin")
    page = admin.get("/users").text
    assert "还有 <b>2</b> 个单位没有账号：市财政局、市教育局" in page
    issued = admin.submit("/users/unit-accounts", page="/users")
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    rows = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>单位用户</td><td><b>(\w+)</b></td><td><code>(\w+)</code>", issued.text)
    assert [(unit, username) for unit, username, _ in rows] == [("市财政局", "sczj"), ("市教育局", "sjyj")]
    passwords = {username: password for _, username, password in rows}
    # The page no longer offers the button: every unit has its account.
    assert "每个单位都已有账号" in admin.get("/users").text

    token = re.findall(r'name="csrf_token" value="([^"]+)"', issued.text)[-2]
    # What the page's download form posts, with a row slipped in for an account not just issued.
    form = {
        "csrf_token": token,
        "unit": [unit for unit, _, _ in rows] + ["市外"],
        "name": [unit for unit, _, _ in rows] + ["冒名"],
        "role": ["department"] * len(rows) + ["admin"],
        "username": [username for _, username, _ in rows] + ["city_admin"],
        "password": [password for _, _, password in rows] + ["x"],
    }
    download = admin.post("/users/handout.xlsx", data=form)
    assert download.headers["content-disposition"] == 'attachment; filename="accounts.xlsx"'
    sheet = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    # Only the fresh accounts of the office: city_admin's row is not written out.
    assert [row[3] for row in sheet[1:3]] == ["sczj", "sjyj"] and sheet[3] == (None,) * 5
    assert "city_admin" not in {row[3] for row in sheet}
    csv_file = admin.post("/users/handout.csv", data=form)
    assert csv_file.content.decode("utf-8-sig").splitlines()[1] == f"市财政局,市财政局,单位用户,sczj,{passwords['sczj']}"

    clerk = client_factory().login("sczj", passwords["sczj"])
    assert clerk.get("/inbox", follow_redirects=False).headers["location"] == "/account"


def test_a_refused_file_names_its_rows_beside_the_upload(client_factory, world):
    admin = client_factory().login("city_admin")
    data = xlsx(HEADER, ("市知识产权局", "张三", "", "", ""), ("市外局", "李四", "", "", ""))
    refused = admin.submit("/users/import", page="/users", files=[("document", ("名单.xlsx", data, "application/octet-stream"))])
    assert refused.status_code == 422
    assert re.search(r'name="document"[^>]*></label>\s*<span class="field-error" role="alert">没有导入任何账号.*第 3 行：单位“市外局”不在单位名录中', refused.text)
    good = xlsx(HEADER, ("市知识产权局", "张三", "", "", ""))
    imported = admin.submit("/users/import", page="/users", files=[("document", ("名单.xlsx", good, "x"))])
    assert imported.status_code == 200 and "<b>szscqj_zs</b>" in imported.text


def test_only_the_office_admin_opens_accounts(client_factory, world):
    for username in ("ip_user", "city_leader"):
        client = client_factory().login(username)
        assert client.submit("/users/unit-accounts").status_code == 403
        assert client.submit("/users/import", files=[("document", ("a.xlsx", b"x", "x"))]).status_code == 403
        assert client.submit("/users/handout.csv", {"username": "ip_user", "password": "x"}).status_code == 403
    api = client_factory()
    assert api.post("/api/v1/users/unit-accounts", headers=world.headers("ip_user")).status_code == 403
    assert api.post(
        "/api/v1/users/import", files={"file": ("a.xlsx", b"x", "x")}, headers=world.headers("ip_user")
    ).status_code == 403


def test_the_api_returns_the_initial_passwords_once(client_factory, session_factory, world):
    _add_units(session_factory, world, "市财政局")
    api = client_factory()
    created = api.post("/api/v1/users/unit-accounts", headers=world.headers("city_admin"))
    assert created.status_code == 201
    [account] = created.json()["accounts"]
    assert account["username"] == "sczj" and len(account["password"]) == 12
    bad = api.post(
        "/api/v1/users/import", files={"file": ("a.xlsx", xlsx(HEADER, ("市外局", "李四", "", "", "")), "x")},
        headers=world.headers("city_admin"),
    )
    assert bad.status_code == 422 and "第 2 行：单位“市外局”不在单位名录中" in bad.json()["detail"]
