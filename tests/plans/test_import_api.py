"""Importing the Guangzhou plan over HTTP: preview, department mapping with
suggestions and alias learning, activation, the 分工表 round trip."""

from sqlalchemy import select

from service.departments.models import KIND_GROUP, Department
from service.plans.parser import parse_plan_text
from tests.factories import NOW

from .conftest import seed_path
from .test_parser_pdf import needs_font, pdf_bytes


def _seed() -> bytes:
    return seed_path("003").read_bytes()


def _expected_milestones(text: str) -> int:
    """Counted from the document: each measure's departments × its deadlines."""
    parsed = parse_plan_text(text)
    phases = len([p for p in parsed.phases if p.deadline])
    return sum(
        len(set(m.lead) | set(m.support)) * (1 if m.deadline else phases) for m in parsed.all_measures()
    )


def _add_directory(session_factory, office_id: int, *names: str) -> dict[str, int]:
    with session_factory() as session:
        departments = [Department(office_id=office_id, name=name, created_at=NOW) for name in names]
        session.add_all(departments)
        session.commit()
        return {d.name: d.id for d in departments}


def _import_file(client, world, data: bytes, filename: str = "广州.txt", user: str = "city_admin"):
    return client.post(
        "/api/v1/plans/import", files={"file": (filename, data, "text/plain")}, headers=world.headers(user)
    )


def test_multipart_import_previews_the_guangzhou_plan(client, world):
    response = _import_file(client, world, _seed())
    assert response.status_code == 201, response.text
    body = response.json()
    preview = body["preview"]
    assert body["plan"]["status"] == "draft"
    assert (preview["tasks"], preview["measures"], preview["phases"]) == (17, 61, 4)
    matched = {m["name"]: m["department_id"] for m in preview["matched"]}
    assert matched == {"市知识产权局": world.departments["ip"].id, "市发展改革委": world.departments["dev"].id}
    unmatched = {u["name"]: u for u in preview["unmatched"]}
    assert len(unmatched) == 45 and "市工商局" in unmatched and "广州海关" in unmatched
    assert unmatched["各区政府"]["kind"] == KIND_GROUP
    assert unmatched["市知识产权工作领导小组成员单位"]["kind"] == KIND_GROUP
    assert unmatched["市工商局"]["kind"] == "unit"
    codes = {w["code"] for w in preview["warnings"]}
    assert "single_mention" in codes
    assert any("市委改革办" in w["message"] for w in preview["warnings"])
    # The preview survives a reload of the page.
    again = client.get(f"/api/v1/plans/{body['plan']['id']}/import-preview", headers=world.headers("city_admin"))
    assert again.status_code == 200 and again.json() == preview


def test_json_text_import_stores_the_source_text(client, world, session_factory):
    text = seed_path("003").read_text(encoding="utf-8")
    response = client.post("/api/v1/plans/import", json={"text": text}, headers=world.headers("city_admin"))
    assert response.status_code == 201, response.text
    preview = response.json()["preview"]
    assert (preview["tasks"], preview["measures"], preview["phases"]) == (17, 61, 4)
    assert {u["name"] for u in preview["unmatched"]} >= {"市工商局", "各区政府", "市科技创新委"}
    from service.plans.models import Plan

    with session_factory() as session:
        assert session.get(Plan, preview["plan_id"]).source_text == text


def test_mapping_with_suggestions_then_activation_and_alias_learning(client, world, session_factory):
    directory = _add_directory(session_factory, world.offices["city"].id, "工商局", "市科技创新委员会")
    headers = world.headers("city_admin")
    preview = _import_file(client, world, _seed()).json()["preview"]
    plan_id = preview["plan_id"]
    unmatched = {u["name"]: u for u in preview["unmatched"]}
    # Names that differ only by the 市 prefix or the 委员会 suffix come first.
    assert unmatched["市工商局"]["suggestions"][0]["department_id"] == directory["工商局"]
    assert unmatched["市科技创新委"]["suggestions"][0]["department_id"] == directory["市科技创新委员会"]
    assert all(len(u["suggestions"]) <= 3 for u in unmatched.values())
    placeholder_id = unmatched["市工商局"]["department_id"]

    mapping = {name: None for name in unmatched}
    mapping["市工商局"] = directory["工商局"]
    mapping["市科技创新委"] = directory["市科技创新委员会"]
    response = client.post(f"/api/v1/plans/{plan_id}/department-mapping", json={"mapping": mapping}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["unmatched"] == []
    assert directory["工商局"] in {m["department_id"] for m in response.json()["matched"]}

    with session_factory() as session:
        assert session.get(Department, placeholder_id) is None
        assert "市工商局" in session.get(Department, directory["工商局"]).aliases
        assert "市科技创新委" in session.get(Department, directory["市科技创新委员会"]).aliases
        confirmed = session.scalars(select(Department).where(Department.name == "广州海关")).one()
        assert confirmed.confirmed

    activated = client.post(f"/api/v1/plans/{plan_id}/activate", headers=headers)
    assert activated.status_code == 200, activated.text
    expected = _expected_milestones(seed_path("003").read_text(encoding="utf-8"))
    assert expected == 179 * 4
    assert activated.json()["milestones_created"] == expected

    # The same document again: the office hears of the plan it already has.
    again = _import_file(client, world, _seed())
    assert again.status_code == 409 and "这份文件已经导入过" in again.json()["detail"]
    # Imported anyway, the next plan from the same city matches every name without questions.
    second = client.post(
        "/api/v1/plans/import?allow_duplicate=true", files={"file": ("广州.txt", _seed(), "text/plain")}, headers=headers
    ).json()["preview"]
    assert second["unmatched"] == []
    assert directory["工商局"] in {m["department_id"] for m in second["matched"]}


def test_mapping_refuses_unknown_names_and_foreign_departments(client, world):
    headers = world.headers("city_admin")
    plan_id = _import_file(client, world, _seed()).json()["preview"]["plan_id"]
    response = client.post(
        f"/api/v1/plans/{plan_id}/department-mapping", json={"mapping": {"不存在的单位": None}}, headers=headers
    )
    assert response.status_code == 422 and "不存在的单位" in response.json()["detail"]
    foreign = world.departments["sz_ip"].id
    response = client.post(
        f"/api/v1/plans/{plan_id}/department-mapping", json={"mapping": {"市工商局": foreign}}, headers=headers
    )
    assert response.status_code == 422 and str(foreign) in response.json()["detail"]
    still = client.get(f"/api/v1/plans/{plan_id}/import-preview", headers=headers).json()
    assert "市工商局" in {u["name"] for u in still["unmatched"]}


def test_mapping_an_active_plan_conflicts(client, world):
    response = client.post(
        f"/api/v1/plans/{world.plans['city']}/department-mapping",
        json={"mapping": {}},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 409


def _tree_by_names(plan: dict, names: dict[int, str]) -> dict:
    def measures(items):
        return [
            (m["text"], m["deadline"], sorted((names[a["department_id"]], a["role"]) for a in m["assignments"]))
            for m in items
        ]

    sections = {s["id"]: s["title"] for s in plan["sections"]}
    return {
        "title": plan["title"],
        "doc_number": plan["doc_number"],
        "phases": [(p["name"], p["deadline"]) for p in plan["phases"]],
        "tasks": [
            (t["number"], t["title"], sections.get(t["section_id"]), t["mandatory"], measures(t["measures"]))
            for t in plan["tasks"]
        ],
        "outside": measures(plan["measures_outside_tasks"]),
    }


def test_task_table_round_trip_through_the_api(client, world, session_factory):
    headers = world.headers("city_admin")
    first_id = _import_file(client, world, _seed()).json()["preview"]["plan_id"]
    exported = client.get(f"/api/v1/plans/{first_id}/task-table.xlsx", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content.startswith(b"PK\x03\x04")

    second = client.post(
        "/api/v1/plans/import", files={"file": ("分工表.xlsx", exported.content, "application/octet-stream")},
        headers=headers,
    )
    assert second.status_code == 201, second.text
    second_id = second.json()["preview"]["plan_id"]
    with session_factory() as session:
        names = dict(session.execute(select(Department.id, Department.name)).all())
    first_tree = _tree_by_names(client.get(f"/api/v1/plans/{first_id}", headers=headers).json(), names)
    second_tree = _tree_by_names(client.get(f"/api/v1/plans/{second_id}", headers=headers).json(), names)
    assert len(first_tree["tasks"]) == 17
    assert second_tree == first_tree


@needs_font
def test_a_text_pdf_imports_like_the_text(client, world, guangzhou_text):
    response = _import_file(client, world, pdf_bytes(guangzhou_text), "广州.pdf")
    assert response.status_code == 201, response.text
    preview = response.json()["preview"]
    assert (preview["tasks"], preview["measures"], preview["phases"]) == (17, 61, 4)


def test_a_doc_file_is_refused_with_what_to_upload_instead(client, world):
    response = _import_file(client, world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "方案.doc")
    assert response.status_code in (400, 422)
    assert "另存为” .docx" in response.json()["detail"]


def test_a_task_table_gives_no_single_mention_warnings_before_or_after_an_edit(client, world):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["某市重点任务分工表"])
    book.active.append(["序号", "工作任务", "牵头单位", "配合单位", "完成时限"])
    book.active.append(["1", "推行高频事项全程网办", "市政务服务局", "市大数据局", "2030年6月底前"])
    book.active.append(["2", "开展双随机抽查", "市市场监管局", "市司法局", "持续推进"])
    out = io.BytesIO()
    book.save(out)
    response = _import_file(client, world, out.getvalue(), "分工表.xlsx")
    assert response.status_code == 201, response.text
    plan_id = response.json()["plan"]["id"]
    # The preview re-checks the draft's rows: still read as a table.
    again = client.get(f"/api/v1/plans/{plan_id}/import-preview", headers=world.headers("city_admin")).json()
    for preview in (response.json()["preview"], again):
        assert preview["measures"] == 2
        assert not [w for w in preview["warnings"] if w["code"] in ("single_mention", "bad_date")]
