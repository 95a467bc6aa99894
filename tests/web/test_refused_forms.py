"""No lost input: a refused department or channel form comes back (422) as typed,
with the reason beside it; a secret is not sent back."""

from tests.factories import build_world


def test_a_refused_department_edit_keeps_the_edits(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    page = f"/departments/{department.id}"
    admin = client_factory().login("city_admin")
    response = admin.submit(page, {"name": "市知识产权局（新）", "kind": "unit", "emails": "不是邮箱",
                                   "head_name": "张三"}, page=page)
    assert response.status_code == 422
    assert 'value="市知识产权局（新）"' in response.text and 'value="张三"' in response.text
    assert ">不是邮箱</textarea>" in response.text and 'role="alert"' in response.text


def test_a_refused_channel_keeps_what_was_typed_but_the_secret(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    page = f"/departments/{department.id}"
    admin = client_factory().login("city_admin")
    response = admin.submit(f"{page}/channels", {"type": "wecom", "target": "bad key with spaces", "secret": "s3cret",
                                                 "mentions": "13800000000"}, page=page)
    assert response.status_code == 422
    assert 'value="bad key with spaces"' in response.text and 'value="13800000000"' in response.text
    assert "<details class=\"reveal\" open>" in response.text and "s3cret" not in response.text
    assert '<option value="wecom" selected>' in response.text


def test_a_refused_new_user_keeps_the_form_but_the_password(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    admin = client_factory().login("city_admin")
    response = admin.submit("/users", {"username": "ip_clerk2", "display_name": "李四", "role": "department",
                                       "department_id": str(department.id), "password": "short"}, page="/users")
    assert response.status_code == 422 and "初始密码不回显" in response.text
    assert 'value="ip_clerk2"' in response.text and 'value="李四"' in response.text
    assert f'<option value="{department.id}" selected>' in response.text and 'value="short"' not in response.text
