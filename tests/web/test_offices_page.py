"""The /offices page: the operator and parent offices' admins list the offices of
their chain and create child offices and their first admins; refused forms come
back as typed with the reason beside the field."""

import re

from tests.factories import add_operator

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", re.IGNORECASE)


def _field_error(page: str, field: str) -> str:
    """The message shown right after the named field's control."""
    found = re.search(rf'name="{field}"[^>]*>(?:.*?</select>)?<span class="field-error" role="alert">([^<]+)</span>',
                      page, re.DOTALL)
    assert found, f"no error beside {field}"
    return found.group(1)


def test_a_parent_admin_creates_a_child_office_and_its_first_admin(client_factory, world):
    web = client_factory().login("city_admin")
    page = web.get("/offices")
    assert page.status_code == 200 and not INLINE_SCRIPT.search(page.text)
    assert world.offices["district"].name in page.text and "深圳市" not in page.text
    created = web.submit("/offices", {"name": "海珠区知识产权工作领导小组办公室"}, page="/offices", follow_redirects=False)
    assert created.status_code == 303
    listed = web.get("/offices").text
    assert 'data-office="海珠区知识产权工作领导小组办公室"' in listed
    child_id = re.search(r'<option value="(\d+)" >海珠区', listed).group(1)

    again = web.submit("/offices", {"name": "海珠区知识产权工作领导小组办公室"}, page="/offices")
    assert again.status_code == 422
    assert _field_error(again.text, "name") == "办公室名称 海珠区知识产权工作领导小组办公室 已被使用"
    assert 'value="海珠区知识产权工作领导小组办公室"' in again.text

    taken = web.submit("/offices/admins", {"office_id": child_id, "username": "ip_user", "password": "first-pass-123"},
                       page="/offices")
    assert taken.status_code == 422 and _field_error(taken.text, "username") == "用户名 ip_user 已被使用"
    assert f'<option value="{child_id}" selected>' in taken.text and "first-pass-123" not in taken.text
    made = web.submit("/offices/admins", {"office_id": child_id, "username": "haizhu_admin", "password": "first-pass-123"},
                      page="/offices", follow_redirects=False)
    assert made.status_code == 303
    second = web.submit("/offices/admins", {"office_id": child_id, "username": "haizhu_2", "password": "first-pass-123"},
                        page="/offices")
    assert second.status_code == 422 and "已有管理员" in _field_error(second.text, "office_id")
    log = web.get("/audit").text
    assert "新增办公室" in log and "办公室“海珠区知识产权工作领导小组办公室”" in log


def test_a_child_admin_sees_its_own_chain_only_and_cannot_create_siblings(client_factory, world):
    client_factory().login("city_admin").submit("/offices", {"name": "海珠区知识产权工作领导小组办公室"}, page="/offices")
    web = client_factory().login("district_admin")
    page = web.get("/offices").text
    assert world.offices["district"].name in page
    assert "海珠区" not in page and 'data-office="广州市' not in page
    sibling = web.submit("/offices", {"name": "荔湾区办", "parent_id": str(world.offices["city"].id)}, page="/offices")
    assert sibling.status_code == 422 and "不存在" in sibling.text and 'value="荔湾区办"' in sibling.text


def test_the_operator_links_an_office_to_any_parent_and_others_are_refused(client_factory, world, session):
    add_operator(session, world)
    web = client_factory().login("operator")
    page = web.get("/offices").text
    assert "深圳市知识产权工作领导小组办公室" in page and 'name="parent_id"' in page
    made = web.submit("/offices", {"name": "南山区办", "parent_id": str(world.offices["other"].id)}, page="/offices",
                      follow_redirects=False)
    assert made.status_code == 303
    assert "南山区办" in client_factory().login("other_admin").get("/offices").text
    for who in ("city_leader", "ip_user"):
        assert client_factory().login(who).get("/offices").status_code == 403
