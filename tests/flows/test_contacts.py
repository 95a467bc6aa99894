"""Department contacts and names: one rule for the API and the page."""

import pytest

from service.departments.service import find_department, normalize_name
from service.errors import Invalid

BAD_EMAILS = [
    '"Evil" <spy@evil.test>',
    "a@x.test, attacker@evil.test",
    "a@x.test;attacker@evil.test",
    "a@x.test attacker@evil.test",
    "spy@evil.test (Evil)",
    "a@b@evil.test",
    "nobody",
]
BAD_MOBILES = ["138 0013 8000", "１３８００１３８０００", "13800138000,13900139000", "call me"]


@pytest.mark.parametrize("address", BAD_EMAILS)
def test_api_refuses_an_email_that_is_not_one_address(client, world, address):
    headers = world.headers("city_admin")
    department = world.departments["ip"].id
    for method, path, body in [
        ("POST", "/api/v1/departments", {"name": "市新单位", "emails": [address]}),
        ("POST", "/api/v1/departments", {"name": "市新单位", "head": {"email": address}}),
        ("PATCH", f"/api/v1/departments/{department}", {"emails": ["ok@x.test", address]}),
        ("PATCH", f"/api/v1/departments/{department}", {"head": {"email": address}}),
    ]:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 422, (method, body)
        assert "邮箱地址格式不正确" in response.json()["detail"]
    emails = client.get(f"/api/v1/departments/{department}", headers=headers).json()["emails"]
    assert emails == ["ip@example.cn"]


@pytest.mark.parametrize("mobile", BAD_MOBILES)
def test_api_refuses_a_mobile_that_is_not_one_number(client, world, mobile):
    headers = world.headers("city_admin")
    for body in ({"name": "市新单位", "mobiles": [mobile]}, {"name": "市新单位", "head": {"mobile": mobile}}):
        response = client.post("/api/v1/departments", json=body, headers=headers)
        assert response.status_code == 422
        assert "手机号格式不正确" in response.json()["detail"]


def test_api_keeps_good_contacts_stripped(client, world):
    response = client.post(
        "/api/v1/departments",
        json={"name": "市新单位", "emails": [" a@x.test ", "a@x.test"], "mobiles": ["+8613800138000"],
              "head": {"name": "张三", "email": "head@x.test", "mobile": " 13800138000 ", }},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["emails"] == ["a@x.test"] and body["mobiles"] == ["+8613800138000"]
    assert body["head"] == {"name": "张三", "email": "head@x.test", "mobile": "13800138000"}


@pytest.mark.parametrize(
    "lookalike",
    ["市知识\u200b产权局", "市知识\u00ad产权局", "市知识产权局\u202e", "\ufeff市知识产权局", "市知识 产权局"],
)
def test_names_differing_by_invisible_characters_are_one_name(client, world, lookalike):
    headers = world.headers("city_admin")
    response = client.post("/api/v1/departments", json={"name": lookalike}, headers=headers)
    assert response.status_code == 409
    response = client.patch(
        f"/api/v1/departments/{world.departments['dev'].id}", json={"name": lookalike}, headers=headers
    )
    assert response.status_code == 409


def test_full_width_letters_and_aliases_are_stored_folded(client, world, session):
    headers = world.headers("city_admin")
    response = client.post(
        "/api/v1/departments",
        json={"name": "市ＩＴ中心", "aliases": ["ＩＴ\u200b中心", "IT中心", "信息\u202e中心"]},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json()["name"] == "市IT中心"
    assert response.json()["aliases"] == ["IT中心", "信息中心"]
    assert client.post("/api/v1/departments", json={"name": "市IT中心"}, headers=headers).status_code == 409
    office = world.offices["city"].id
    assert find_department(session, office, "ＩＴ\u00ad中心").name == "市IT中心"
    assert find_department(session, office, "市知识\u200b产权局").id == world.departments["ip"].id


def test_normalize_name():
    assert normalize_name(" 市ＡＢＣ\u200b局\u00ad\u202e\ufeff ") == "市ABC局"
    assert normalize_name("各区政府") == "各区政府"


@pytest.mark.parametrize("address", BAD_EMAILS)
def test_email_channels_take_one_address_too(client, world, address):
    response = client.post(
        f"/api/v1/departments/{world.departments['ip'].id}/channels",
        json={"type": "email", "target": address}, headers=world.headers("city_admin"),
    )
    assert response.status_code == 422 and "邮箱地址格式不正确" in response.json()["detail"]


def test_a_long_address_is_refused_quickly():
    from service.departments.service import valid_email

    with pytest.raises(Invalid):
        valid_email("a@" + "b" * 300 + ".test")
    with pytest.raises(Invalid):
        valid_email("a@" + "b." * 100_000 + "@")


def test_official_names_keep_their_full_width_brackets():
    from service.departments.service import normalize_name

    assert normalize_name("市委组织部（市人才办）") == "市委组织部（市人才办）"
    assert normalize_name("市委组织部(市人才办)") == "市委组织部（市人才办）"
    assert normalize_name("市委组织部\u200b（市人才办）") == "市委组织部（市人才办）"
