"""Who reads the department directory: a department user its own contacts and
the names of the departments it works with, nothing of a child office."""

from service.departments.models import Department
from service.web.lookups import department_names
from tests.factories import NOW


def _add_unrelated(session_factory, world) -> int:
    with session_factory() as session:
        department = Department(office_id=world.offices["city"].id, name="市教育局", emails=["jy@example.cn"],
                                head_name="王五", head_mobile="13900000000", created_at=NOW)
        session.add(department)
        session.commit()
        return department.id


def test_a_department_user_sees_its_contacts_and_only_the_names_of_its_colleagues(client, world, session_factory):
    unrelated = _add_unrelated(session_factory, world)
    client.patch(f"/api/v1/departments/{world.departments['dev'].id}",
                 json={"head": {"name": "李四", "email": "li@example.cn", "mobile": "13800000000"}},
                 headers=world.headers("city_admin"))
    response = client.get("/api/v1/departments", headers=world.headers("ip_user"))
    assert response.status_code == 200
    listed = {d["id"]: d for d in response.json()}
    ip, dev = world.departments["ip"].id, world.departments["dev"].id
    assert set(listed) == {ip, dev}  # not 市教育局, not the child office's 越秀区知识产权局
    assert listed[ip]["emails"] == ["ip@example.cn"]
    assert listed[dev]["name"] == "市发展改革委"
    assert listed[dev]["emails"] == [] and listed[dev]["mobiles"] == []
    assert listed[dev]["head"] == {"name": None, "email": None, "mobile": None}
    for secret in ("dev@example.cn", "李四", "li@example.cn", "13800000000", "jy@example.cn", "越秀区"):
        assert secret not in response.text
    assert client.get(f"/api/v1/departments/{unrelated}", headers=world.headers("ip_user")).status_code == 404


def test_the_office_and_its_leader_read_the_whole_directory(client, world, session_factory):
    unrelated = _add_unrelated(session_factory, world)
    for user in ("city_admin", "city_leader"):
        listed = {d["id"]: d for d in client.get("/api/v1/departments", headers=world.headers(user)).json()}
        assert {world.departments["yuexiu_ip"].id, unrelated} <= set(listed)
        assert listed[unrelated]["emails"] == ["jy@example.cn"] and listed[unrelated]["head"]["name"] == "王五"


def test_pages_name_only_the_departments_a_department_user_works_with(world, session_factory):
    _add_unrelated(session_factory, world)
    with session_factory() as session:
        names = department_names(session, world.actor(session, "ip_user"))
        assert names == {world.departments["ip"].id: "市知识产权局", world.departments["dev"].id: "市发展改革委"}
        assert "越秀区知识产权局" in department_names(session, world.actor(session, "city_leader")).values()
