"""Who may do what across the chain (issue 13): the parent (city), the child (越秀区), a
sibling (天河区), a grandchild (a street below 越秀区), an unrelated office, and the
child's and parent's own units, for every endpoint that issues, signs, decomposes or
reports on an issued 督办件, and for the reads that must not leak across the chain."""

from tests.factories import simple_plan

ROLES = ("city_admin", "city_leader", "ip_user", "district_admin", "yuexiu_user", "sibling_admin", "street_admin",
         "other_admin")


def _codes(client, world, method: str, url: str, body=None) -> dict[str, int]:
    return {who: client.request(method, url, json=body, headers=world.headers(who)).status_code for who in ROLES}


def test_mapping_a_directory_entry_to_child_offices(client, chain):
    url = f"/api/v1/departments/{chain.departments['districts'].id}/offices"
    body = {"office_ids": [chain.offices["district"].id]}
    codes = _codes(client, chain, "PUT", url, body)
    assert codes == {"city_admin": 200, "city_leader": 403, "ip_user": 404, "district_admin": 404,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    headers = chain.headers("city_admin")
    for office in ("street", "other", "city"):  # a grandchild, an unrelated office, itself: not direct children
        answer = client.put(url, json={"office_ids": [chain.offices[office].id]}, headers=headers)
        assert answer.status_code == 422 and "直属下级办公室" in answer.json()["detail"]
    unit = f"/api/v1/departments/{chain.departments['ip'].id}/offices"
    answer = client.put(unit, json={"office_ids": [chain.offices["district"].id, chain.offices["sibling"].id]}, headers=headers)
    assert answer.status_code == 422 and "分组" in answer.json()["detail"]
    answer = client.put(unit, json={"office_ids": [chain.offices["district"].id]}, headers=headers)
    assert answer.status_code == 409 and "越秀区政府" in answer.json()["detail"]
    # The district maps its own streets; the city is not its child.
    own = client.post("/api/v1/departments", json={"name": "北京街道"}, headers=chain.headers("district_admin")).json()
    answer = client.put(f"/api/v1/departments/{own['id']}/offices", json={"office_ids": [chain.offices["street"].id]},
                        headers=chain.headers("district_admin"))
    assert answer.status_code == 200 and answer.json()["represents_office_id"] == chain.offices["street"].id


def test_only_the_child_office_admin_signs_and_decomposes_its_issued_item(client, chain):
    item = chain.issued["yuexiu_gov"][0]
    codes = _codes(client, chain, "POST", f"/api/v1/issued/{item}/sign")
    assert codes == {"city_admin": 403, "city_leader": 403, "ip_user": 403, "district_admin": 200,
                     "yuexiu_user": 403, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    body = {"plan_title": "越秀区落实方案", "phases": [{"name": "落实", "deadline": "2026-12-01"}], "text": "区里落实。",
            "lead": [chain.departments["yuexiu_ip"].id]}
    codes = _codes(client, chain, "POST", f"/api/v1/issued/{item}/decompose", body)
    # The others' bodies name a unit that is not theirs, but they are refused before that.
    assert codes == {"city_admin": 403, "city_leader": 403, "ip_user": 403, "district_admin": 201,
                     "yuexiu_user": 403, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    district = chain.headers("district_admin")
    # Not into the parent's plan, not with the parent's units, not later than the parent without a reason.
    answer = client.post(f"/api/v1/issued/{item}/decompose", json=body | {"plan_title": None, "phases": [],
                         "plan_id": chain.plans["issued"]}, headers=district)
    assert answer.status_code == 404
    answer = client.post(f"/api/v1/issued/{item}/decompose", json=body | {"lead": [chain.departments["ip"].id]},
                         headers=district)
    assert answer.status_code == 422 and "不是本办公室的单位" in answer.json()["detail"]
    answer = client.post(f"/api/v1/issued/{item}/decompose", json=body | {"deadline": "2027-06-30"}, headers=district)
    assert answer.status_code == 422 and "请说明理由" in answer.json()["detail"]
    answer = client.post(f"/api/v1/issued/{item}/decompose", json=body | {"plan_title": None}, headers=district)
    assert answer.status_code == 422


def test_the_child_reports_as_its_unit_and_only_the_parent_reviews(client, chain):
    item = chain.issued["yuexiu_gov"][0]
    milestone = chain.milestones[item][0]
    codes = _codes(client, chain, "POST", f"/api/v1/assignments/{item}/progress", {"text": "已落实。", "percent": 50})
    assert codes == {"city_admin": 403, "city_leader": 403, "ip_user": 404, "district_admin": 201,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    codes = _codes(client, chain, "POST", f"/api/v1/milestones/{milestone}/reports", {"text": "已办结。", "percent": 100})
    assert codes == {"city_admin": 403, "city_leader": 403, "ip_user": 404, "district_admin": 201,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    codes = _codes(client, chain, "POST", f"/api/v1/milestones/{milestone}/review",
                   {"decision": "return", "comment": "请补充。"})
    assert codes == {"city_admin": 200, "city_leader": 403, "ip_user": 404, "district_admin": 403,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    progress = client.get(f"/api/v1/assignments/{item}/progress", headers=chain.headers("district_admin")).json()
    codes = _codes(client, chain, "POST", f"/api/v1/progress/{progress[0]['id']}/review", {"decision": "read"})
    assert codes == {"city_admin": 200, "city_leader": 403, "ip_user": 404, "district_admin": 403,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}


def test_a_child_reads_only_what_was_issued_to_it_and_the_parent_sees_a_row_per_child(client, chain):
    mine = client.get("/api/v1/issued", headers=chain.headers("district_admin")).json()
    assert [i["assignment_id"] for i in mine] == chain.issued["yuexiu_gov"]
    assert {i["office_name"] for i in mine} == {"广州市知识产权工作领导小组办公室"}
    assert mine[0]["role"] == "support" and mine[0]["measure_text"] == "措施1。" and mine[0]["checkpoints"]
    for who, expected in (("sibling_admin", chain.issued["tianhe_gov"]), ("street_admin", []), ("city_admin", []),
                          ("other_admin", [])):
        assert [i["assignment_id"] for i in client.get("/api/v1/issued", headers=chain.headers(who)).json()] == expected
    assert client.get("/api/v1/issued", headers=chain.headers("yuexiu_user")).status_code == 403
    item = chain.issued["yuexiu_gov"][0]
    assert client.get(f"/api/v1/issued/{item}", headers=chain.headers("district_admin")).status_code == 200
    for who in ("sibling_admin", "street_admin", "city_admin"):
        assert client.get(f"/api/v1/issued/{item}", headers=chain.headers(who)).status_code == 404
    # Beyond the issued item the parent's plan, its other items and its directory stay closed.
    district = chain.headers("district_admin")
    assert client.get(f"/api/v1/plans/{chain.plans['issued']}", headers=district).status_code == 404
    assert client.get(f"/api/v1/plans/{chain.plans['city']}", headers=district).status_code == 404
    assert client.get(f"/api/v1/assignments/{chain.issued['tianhe_gov'][0]}", headers=district).status_code == 404
    assert client.get(f"/api/v1/assignments/{item}", headers=district).status_code == 200
    names = {d["name"] for d in client.get("/api/v1/departments", headers=district).json()}
    assert "越秀区政府" not in names and "市知识产权局" not in names
    work = client.get("/api/v1/assignments", headers=district).json()
    assert item not in {i["id"] for i in work["items"]}  # its own work list stays its own office's
    # The parent's row per child office.
    url = f"/api/v1/measures/{chain.measures[0]}/issued"
    rows = client.get(url, headers=chain.headers("city_admin")).json()
    assert [r["office_name"] for r in rows] == ["越秀区知识产权工作领导小组办公室", "天河区知识产权工作领导小组办公室"]
    assert client.get(url, headers=chain.headers("city_leader")).status_code == 200
    for who in ("district_admin", "sibling_admin", "street_admin", "other_admin", "ip_user"):
        assert client.get(url, headers=chain.headers(who)).status_code == 404


def test_an_office_channel_is_its_own_admins_to_edit(client, chain):
    created = client.post("/api/v1/channels", json={"audience": "office", "type": "wecom", "target": "district-key"},
                          headers=chain.headers("district_admin"))
    assert created.status_code == 201, created.text
    url = f"/api/v1/channels/{created.json()['id']}"
    codes = _codes(client, chain, "PATCH", url, {"enabled": False})
    assert codes == {"city_admin": 404, "city_leader": 404, "ip_user": 404, "district_admin": 200,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    codes = _codes(client, chain, "DELETE", url)
    assert codes == {"city_admin": 404, "city_leader": 404, "ip_user": 404, "district_admin": 204,
                     "yuexiu_user": 404, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}


def test_each_child_office_share_of_the_plan(client, chain):
    item = chain.issued["yuexiu_gov"][0]
    assert client.post(f"/api/v1/issued/{item}/sign", headers=chain.headers("district_admin")).status_code == 200
    url = f"/api/v1/plans/{chain.plans['issued']}/issued"
    shares = client.get(url, headers=chain.headers("city_leader")).json()
    assert [(s["office_name"][:3], s["items"], s["signed"], s["decomposed"], s["closed"]) for s in shares] == [
        ("越秀区", 2, 1, 0, 0), ("天河区", 2, 0, 0, 0)
    ]
    assert {s["overdue"] for s in shares} == {0}
    for who in ("district_admin", "sibling_admin", "street_admin", "other_admin", "ip_user"):
        assert client.get(url, headers=chain.headers(who)).status_code == 404


def test_a_deadline_moved_past_the_parents_after_decomposing_needs_its_reason_before_starting(client, chain):
    item = chain.issued["yuexiu_gov"][0]
    district = chain.headers("district_admin")
    made = client.post(f"/api/v1/issued/{item}/decompose", headers=district, json={
        "plan_title": "越秀区落实方案", "phases": [{"name": "落实", "deadline": "2026-12-01"}], "text": "区里落实。",
        "lead": [chain.departments["yuexiu_ip"].id]})
    assert made.status_code == 201, made.text
    plan, measure = made.json()["plan_id"], made.json()["measure_id"]
    moved = client.patch(f"/api/v1/plans/{plan}/measures/{measure}", json={"deadline": "2027-06-30"}, headers=district)
    assert moved.status_code == 200
    refused = client.post(f"/api/v1/plans/{plan}/activate", headers=district)
    assert refused.status_code == 422 and "晚于上级要求" in refused.json()["detail"]
    # Only the district says why; a measure of its own (not decomposed) has nothing to explain.
    reason = {"late_reason": "区财政预算次年批复"}
    assert client.patch(f"/api/v1/plans/{plan}/measures/{measure}", json=reason,
                        headers=chain.headers("city_admin")).status_code == 403
    draft = client.post("/api/v1/plans", json=simple_plan("越秀区知识产权局", []), headers=district).json()
    own = client.get(f"/api/v1/plans/{draft['id']}", headers=district).json()["tasks"][0]["measures"][0]["id"]
    refused = client.patch(f"/api/v1/plans/{draft['id']}/measures/{own}", json=reason, headers=district)
    assert refused.status_code == 422 and "只有分解落实上级交办的措施" in refused.json()["detail"]
    assert client.patch(f"/api/v1/plans/{plan}/measures/{measure}", json=reason, headers=district).status_code == 200
    started = client.post(f"/api/v1/plans/{plan}/activate", headers=district)
    assert started.status_code == 200, started.text
    rows = client.get(f"/api/v1/measures/{chain.measures[0]}/issued", headers=chain.headers("city_admin")).json()
    assert rows[0]["measures"][0]["late_reason"] == "区财政预算次年批复"
