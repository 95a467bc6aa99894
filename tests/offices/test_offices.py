"""Offices set up by the deployment's operator and by parent offices' admins
(issue 13, item 0): the API's rules and authorization, and the command line."""

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.auth.models import User
from service.offices.models import Office
from tests.core.test_cli import cli_env, run  # noqa: F401 (the fixture)
from tests.core.test_cli_operator import _rows
from tests.factories import add_operator

OFFICES = "/api/v1/offices"


def _create(client, world, who, name, parent_id=None):
    body = {"name": name} if parent_id is None else {"name": name, "parent_id": parent_id}
    return client.post(OFFICES, json=body, headers=world.headers(who))


def _names(client, world, who):
    answer = client.get(OFFICES, headers=world.headers(who))
    assert answer.status_code == 200, answer.text
    return {office["name"] for office in answer.json()}


def test_operator_creates_any_office_links_it_and_names_are_unique(client, world, session):
    add_operator(session, world)
    city = world.offices["city"]
    top = _create(client, world, "operator", "广东省知识产权工作领导小组办公室")
    assert top.status_code == 201 and top.json()["parent_id"] is None
    linked = _create(client, world, "operator", "海珠区知识产权工作领导小组办公室", city.id)
    assert linked.status_code == 201 and linked.json()["parent_id"] == city.id
    again = _create(client, world, "operator", " 海珠区知识产权工作领导小组办公室 ", top.json()["id"])
    assert again.status_code == 409 and "已被使用" in again.json()["detail"]
    assert _create(client, world, "operator", "无上级", 999999).status_code == 404
    assert _names(client, world, "operator") >= {"深圳市知识产权工作领导小组办公室", "广东省知识产权工作领导小组办公室"}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "office.create")).all()
    assert [e.after for e in events] == [
        {"name": "广东省知识产权工作领导小组办公室", "parent_id": None},
        {"name": "海珠区知识产权工作领导小组办公室", "parent_id": city.id},
    ]


def test_a_name_taken_concurrently_is_a_409(client, world, monkeypatch):
    # The check before the insert saw no such office; the unique key still refuses it.
    monkeypatch.setattr("service.offices.service.find_office", lambda session, name: None)
    answer = _create(client, world, "city_admin", world.offices["district"].name)
    assert answer.status_code == 409 and "已被使用" in answer.json()["detail"]


def test_parent_admin_creates_a_child_office_and_its_first_admin(client, world, session):
    city = world.offices["city"]
    child = _create(client, world, "city_admin", "海珠区知识产权工作领导小组办公室")
    assert child.status_code == 201 and child.json()["parent_id"] == city.id
    child_id = child.json()["id"]
    admin = client.post(f"{OFFICES}/{child_id}/admins", json={"username": "haizhu_admin", "password": "first-pass-123"},
                        headers=world.headers("city_admin"))
    assert admin.status_code == 201, admin.text
    assert admin.json()["office_id"] == child_id and admin.json()["role"] == "admin"
    assert admin.json()["must_change_password"] is True
    login = client.post("/api/v1/auth/token", json={"username": "haizhu_admin", "password": "first-pass-123"})
    assert login.status_code == 200 and login.json()["must_change_password"] is True
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get(OFFICES, headers=token).status_code == 403  # the temporary password first
    second = client.post(f"{OFFICES}/{child_id}/admins", json={"username": "haizhu_2", "password": "first-pass-123"},
                         headers=world.headers("city_admin"))
    assert second.status_code == 409 and "已有管理员" in second.json()["detail"]
    assert session.scalars(select(User.username).where(User.office_id == child_id)).all() == ["haizhu_admin"]


def test_a_child_office_admin_sees_and_staffs_only_its_own_chain(client, world):
    city, district = world.offices["city"], world.offices["district"]
    sibling = _create(client, world, "city_admin", "海珠区知识产权工作领导小组办公室").json()["id"]
    below = _create(client, world, "district_admin", "北京街道知识产权工作办公室")
    assert below.status_code == 201 and below.json()["parent_id"] == district.id
    assert _create(client, world, "district_admin", "荔湾区知识产权工作领导小组办公室", city.id).status_code == 404
    assert _names(client, world, "district_admin") == {district.name, "北京街道知识产权工作办公室"}
    staff = {"username": "someone", "password": "first-pass-123"}
    assert client.post(f"{OFFICES}/{sibling}/admins", json=staff, headers=world.headers("district_admin")).status_code == 404
    # A grandchild's first admin is its own parent's business; so is creating below it.
    grandchild = below.json()["id"]
    assert client.post(f"{OFFICES}/{grandchild}/admins", json=staff, headers=world.headers("city_admin")).status_code == 403
    assert _create(client, world, "city_admin", "再下级", district.id).status_code == 403
    assert _names(client, world, "city_admin") == {city.name, district.name, "海珠区知识产权工作领导小组办公室",
                                                   "北京街道知识产权工作办公室"}


@pytest.mark.parametrize("who", ["city_leader", "ip_user"])
def test_leaders_and_department_users_are_refused(client, world, who):
    assert client.get(OFFICES, headers=world.headers(who)).status_code == 403
    assert _create(client, world, who, "海珠区知识产权工作领导小组办公室").status_code == 403
    staff = {"username": "someone", "password": "first-pass-123"}
    district = world.offices["district"].id
    assert client.post(f"{OFFICES}/{district}/admins", json=staff, headers=world.headers(who)).status_code == 403


def test_another_office_admin_gets_404_outside_its_chain(client, world):
    city, district = world.offices["city"], world.offices["district"]
    assert _create(client, world, "other_admin", "海珠区知识产权工作领导小组办公室", city.id).status_code == 404
    staff = {"username": "someone", "password": "first-pass-123"}
    assert client.post(f"{OFFICES}/{district.id}/admins", json=staff, headers=world.headers("other_admin")).status_code == 404
    assert _names(client, world, "other_admin") == {"深圳市知识产权工作领导小组办公室"}


def test_cli_creates_offices_and_users_in_them(cli_env):  # noqa: F811
    assert run("office", "create", "广州市办").exit_code == 0
    child = run("office", "create", "越秀区办", "--parent", "广州市办")
    assert child.exit_code == 0 and "created office 越秀区办 under 广州市办" in child.output
    duplicate = run("office", "create", "越秀区办")
    assert duplicate.exit_code == 2 and duplicate.stderr.strip() == "duban: 办公室名称 越秀区办 已被使用"
    unknown = run("office", "create", "海珠区办", "--parent", "无此办")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "duban: no office named '无此办'"
    made = run("user", "create", "yx", "--role", "admin", "--office", "越秀区办", env={"DUBAN_PASSWORD": "yx-pass-123"})
    assert made.exit_code == 0, made.output
    nowhere = run("user", "create", "hz", "--role", "admin", "--office", "无此办", env={"DUBAN_PASSWORD": "hz-pass-123"})
    assert nowhere.exit_code == 2 and nowhere.stderr.strip() == "duban: no office named '无此办'"
    default = run("user", "create", "boss", "--role", "admin", env={"DUBAN_PASSWORD": "boss-pass-1"})
    assert default.exit_code == 0
    offices = dict(_rows(select(Office.name, Office.id)))
    parents = dict(_rows(select(Office.name, Office.parent_id)))
    assert parents["越秀区办"] == offices["广州市办"]
    assert dict(_rows(select(User.username, User.office_id))) == {
        "yx": offices["越秀区办"], "boss": offices["领导小组办公室"]}
    assert [a for (a,) in _rows(select(AuditEvent.action))].count("office.create") == 2
