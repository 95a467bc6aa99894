"""The 考核 API: who may change schemes and results (the owning office's admin), who
reads what (a unit its own published score; another office nothing); bad input is a 4xx."""

import io
from decimal import Decimal

from docx import Document

from tests.factories import World


def scheme_body(**changes) -> dict:
    return {"name": "2026年度考核", "year": 2026, "total": 100,
            "items": [{"kind": "checkpoints", "weight": 60}, {"kind": "signing", "weight": 30},
                      {"kind": "penalty", "weight": 10}]} | changes


def test_only_the_offices_admin_changes_and_units_read_their_own(client, world: World):
    city = world.headers("city_admin")
    # Every office's admin keeps its own schemes; units and leaders keep none.
    for who, status in (("ip_user", 403), ("city_leader", 403), ("district_admin", 201), ("other_admin", 201)):
        answer = client.post("/api/v1/assessment/schemes", json=scheme_body(), headers=world.headers(who))
        assert answer.status_code == status, (who, answer.text)
    created = client.post("/api/v1/assessment/schemes", json=scheme_body(), headers=city)
    assert created.status_code == 201
    scheme_id = created.json()["id"]
    assert client.get(f"/api/v1/assessment/schemes/{scheme_id}", headers=world.headers("other_admin")).status_code == 404
    assert client.get(f"/api/v1/assessment/schemes/{scheme_id}", headers=world.headers("district_admin")).status_code == 404
    for who in ("ip_user", "city_leader"):
        assert client.put(f"/api/v1/assessment/schemes/{scheme_id}", json=scheme_body(name="改"),
                          headers=world.headers(who)).status_code == 403
    assert client.put(f"/api/v1/assessment/schemes/{scheme_id}", json=scheme_body(name="改"),
                      headers=world.headers("other_admin")).status_code == 404

    period = {"scheme_id": scheme_id, "period_start": "2026-01-01", "period_end": "2026-12-31"}
    assert client.post("/api/v1/assessment/results", json=period, headers=world.headers("ip_user")).status_code == 403
    assert client.post("/api/v1/assessment/results", json=period, headers=world.headers("other_admin")).status_code == 404
    result = client.post("/api/v1/assessment/results", json=period, headers=city)
    assert result.status_code == 201, result.text
    result_id = result.json()["id"]
    base = f"/api/v1/assessment/results/{result_id}"
    ip_id, dev_id = world.departments["ip"].id, world.departments["dev"].id

    # A draft is the office's: units and other offices do not see it at all.
    assert client.get(base, headers=world.headers("ip_user")).status_code == 404
    assert client.get(base, headers=world.headers("other_admin")).status_code == 404
    assert client.get("/api/v1/assessment/results", headers=world.headers("ip_user")).json() == []
    entry = {"department_id": ip_id, "item_key": "penalty", "amount": "2", "reason": "材料报送不规范"}
    # (a unit does not know the draft exists: 404, as for another office)
    for who, status in (("ip_user", 404), ("city_leader", 403), ("other_admin", 404), ("sz_user", 404)):
        assert client.post(f"{base}/entries", json=entry, headers=world.headers(who)).status_code == status, who
        assert client.post(f"{base}/publish", json={}, headers=world.headers(who)).status_code == status, who
        assert client.post(f"{base}/recompute", headers=world.headers(who)).status_code == status, who
    bad = client.post(f"{base}/entries", json=entry | {"amount": "11"}, headers=city)
    assert bad.status_code == 422 and "不能超过本项分值10" in bad.text
    assert client.post(f"{base}/entries", json=entry | {"department_id": world.departments["sz_ip"].id},
                       headers=city).status_code == 422
    assert client.post(f"{base}/entries", json=entry, headers=city).json()["department_id"] == ip_id
    assert client.post(f"{base}/publish", json={"ranking_public": False}, headers=city).status_code == 200
    assert client.post(f"{base}/publish", json={}, headers=city).status_code == 409

    mine = client.get(base, headers=world.headers("ip_user")).json()
    assert [s["department_id"] for s in mine["scores"]] == [ip_id] and mine["ranking"] == []
    penalty = next(line for line in mine["scores"][0]["lines"] if line["key"] == "penalty")
    assert (Decimal(penalty["points"]), penalty["reason"]) == (Decimal(8), "材料报送不规范")
    unit_doc = client.get(f"{base}.docx", headers=world.headers("ip_user"))
    assert unit_doc.headers["content-type"].endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in Document(io.BytesIO(unit_doc.content)).paragraphs)
    assert "市知识产权局" in text and "市发展改革委" not in text
    assert client.get(f"{base}.xlsx", headers=world.headers("other_admin")).status_code == 404
    assert client.get(f"{base}.xlsx", headers=city).status_code == 200
    office = client.get(base, headers=city).json()
    assert {s["department_id"] for s in office["scores"]} == {ip_id, dev_id}
    # The parent office reads its own results; the district's admin does not read the city's.
    assert client.get(base, headers=world.headers("district_admin")).status_code == 404

    correction = {"department_id": ip_id, "item_key": "penalty", "points": "10", "reason": "扣分依据不足"}
    for who, status in (("ip_user", 403), ("city_leader", 403), ("other_admin", 404)):
        assert client.post(f"{base}/corrections", json=correction, headers=world.headers(who)).status_code == status
    assert client.post(f"{base}/corrections", json=correction | {"reason": "  "}, headers=city).status_code == 422
    done = client.post(f"{base}/corrections", json=correction, headers=city)
    assert done.status_code == 201 and done.json()["before"]["points"] == "8.00"
    assert client.get(base, headers=world.headers("ip_user")).json()["corrections"][0]["reason"] == "扣分依据不足"
    assert client.get(base, headers=world.headers("dev_user")).json()["corrections"] == []


def test_bad_scheme_input_is_refused_with_a_message(client, world: World):
    city = world.headers("city_admin")
    for body, words in (
        (scheme_body(items=[{"kind": "signing", "weight": 50}]), "须等于总分100"),
        (scheme_body(items=[{"kind": "bogus", "weight": 100}]), "未知的考核项类型"),
        (scheme_body(grades=[["优秀", 90], ["合格", 95], ["不合格", 0]]), "从高到低"),
        (scheme_body(grades=[["优秀", 90]]), "最低分须为0"),
        (scheme_body(name=""), "方案名称"),
        (scheme_body(plan_id=world.plans["other"]), "所选计划不存在"),
        (scheme_body(items=[{"kind": "overdue", "weight": 100, "params": {"per_item": "0.001"}}]), "两位小数"),
    ):
        answer = client.post("/api/v1/assessment/schemes", json=body, headers=city)
        assert answer.status_code == 422 and words in answer.text, (body, answer.text)
    scheme_id = client.post("/api/v1/assessment/schemes", json=scheme_body(), headers=city).json()["id"]
    for period, words in ((("2026-12-31", "2026-01-01"), "不能早于"), (("2027-01-01", "2027-12-31"), "尚未开始"),
                          (("2020-01-01", "2026-01-01"), "最长三年")):
        answer = client.post("/api/v1/assessment/results", headers=city, json={
            "scheme_id": scheme_id, "period_start": period[0], "period_end": period[1]})
        assert answer.status_code == 422 and words in answer.text, (period, answer.text)
