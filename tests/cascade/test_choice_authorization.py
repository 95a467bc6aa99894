"""Who may set, choose and decide 必做/选做 across the chain: the parent (city) marks its draft's
tasks and sets the 选做申报 date; each child office (越秀区, and its sibling 天河区 for itself)
chooses for its own office only; only the parent's admins decide a late change."""

from service.auth.actor import Actor
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar
from tests.cascade.test_authorization import _codes
from tests.factories import NOW, simple_plan

NEVER = {"ip_user": 404, "yuexiu_user": 404, "street_admin": 404, "other_admin": 404}


def _optional_draft(session_factory, chain) -> tuple[int, int, int]:
    """A city draft whose one task is 选做, 各区政府 supporting its measure."""
    with session_factory() as session:
        parsed = simple_plan("市知识产权局", ["各区政府"])
        parsed["tasks"][0]["mandatory"] = False
        plan = create_plan_from_parsed(session, Actor.system(chain.offices["city"].id), parsed, now=NOW).plan
        session.commit()
        return plan.id, plan.tasks[0].id, plan.measures[0].id


def _start(session_factory, chain, plan_id: int) -> None:
    with session_factory() as session:
        activate_plan(session, Actor.system(chain.offices["city"].id), plan_id, now=NOW, calendar=WorkdayCalendar(),
                      support_lead_workdays=5)
        session.commit()


def test_the_parent_marks_tasks_and_sets_the_choice_date_on_its_draft(client, chain, session_factory):
    plan_id, task_id, _ = _optional_draft(session_factory, chain)
    codes = _codes(client, chain, "PUT", f"/api/v1/plans/{plan_id}/tasks/{task_id}/mandatory", {"mandatory": False})
    # Role first on a draft's edits (403), as for every draft edit, then reach (404).
    assert codes == {"city_admin": 200, "city_leader": 403, "district_admin": 404, "sibling_admin": 404} | NEVER | {
        "ip_user": 403, "yuexiu_user": 403}
    codes = _codes(client, chain, "PUT", f"/api/v1/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-11-20"})
    assert codes == {"city_admin": 200, "city_leader": 403, "district_admin": 404, "sibling_admin": 404} | NEVER
    city = chain.headers("city_admin")
    answer = client.put(f"/api/v1/plans/{plan_id}/choice-deadline", json={"choice_deadline": "明天"}, headers=city)
    assert answer.status_code == 422
    assert client.get(f"/api/v1/plans/{plan_id}", headers=city).json()["tasks"][0]["mandatory"] is False
    _start(session_factory, chain, plan_id)
    answer = client.put(f"/api/v1/plans/{plan_id}/tasks/{task_id}/mandatory", json={"mandatory": True}, headers=city)
    assert answer.status_code == 409
    answer = client.put(f"/api/v1/plans/{plan_id}/choice-deadline", json={"choice_deadline": None}, headers=city)
    assert answer.status_code == 422 and "不能取消" in answer.json()["detail"]


def test_each_child_chooses_for_itself_and_only_the_parent_decides_late_changes(client, chain, session_factory):
    plan_id, task_id, measure_id = _optional_draft(session_factory, chain)
    city = chain.headers("city_admin")
    # The date has passed (the app's clock is at NOW): every change is a request.
    assert client.put(f"/api/v1/plans/{plan_id}/choice-deadline", json={"choice_deadline": "2026-10-30"},
                      headers=city).status_code == 200
    _start(session_factory, chain, plan_id)
    offered = client.get("/api/v1/choices", headers=chain.headers("district_admin")).json()
    assert [(o["task_id"], o["taken"], o["choice_deadline"]) for o in offered] == [(task_id, False, "2026-10-30")]
    assert client.get("/api/v1/choices", headers=chain.headers("street_admin")).json() == []
    assert client.get("/api/v1/choices", headers=chain.headers("city_admin")).json() == []
    assert client.get("/api/v1/choices", headers=chain.headers("yuexiu_user")).status_code == 403

    url = f"/api/v1/choices/tasks/{task_id}"
    answer = client.put(url, json={"take": True}, headers=chain.headers("district_admin"))
    assert answer.status_code == 422 and "说明理由" in answer.json()["detail"]
    codes = _codes(client, chain, "PUT", url, {"take": True, "reason": "区里有条件开展"})
    assert codes == {"city_admin": 404, "city_leader": 403, "district_admin": 200, "sibling_admin": 200,
                     "ip_user": 403, "yuexiu_user": 403, "street_admin": 404, "other_admin": 404}
    rows = client.get(f"/api/v1/plans/{plan_id}/choices", headers=chain.headers("city_leader")).json()
    assert [(r["office_name"][:3], r["choice"]["request"], r["choice"]["taken"]) for r in rows] == [
        ("越秀区", "add", False), ("天河区", "add", False)
    ]
    codes = _codes(client, chain, "GET", f"/api/v1/plans/{plan_id}/choices")
    assert codes == {"city_admin": 200, "city_leader": 200, "district_admin": 404, "sibling_admin": 404} | NEVER

    district_choice = rows[0]["choice"]["choice_id"]
    answer = client.post(f"/api/v1/choices/{district_choice}/decision", json={"approve": False}, headers=city)
    assert answer.status_code == 422 and "说明理由" in answer.json()["detail"]
    codes = _codes(client, chain, "POST", f"/api/v1/choices/{district_choice}/decision", {"approve": True})
    assert codes == {"city_admin": 200, "city_leader": 403, "district_admin": 404, "sibling_admin": 404} | NEVER
    # Approved: the district's unit now has the measure as 上级交办, in the group's role; the sibling still waits.
    for who, expected in (("district_admin", ["support"]), ("sibling_admin", [])):
        issued = client.get("/api/v1/issued", headers=chain.headers(who)).json()
        assert [i["role"] for i in issued if i["measure_id"] == measure_id] == expected
    mine = client.get("/api/v1/choices", headers=chain.headers("district_admin")).json()
    theirs = client.get("/api/v1/choices", headers=chain.headers("sibling_admin")).json()
    assert (mine[0]["taken"], mine[0]["request"]) == (True, None)
    assert (theirs[0]["taken"], theirs[0]["request"]) == (False, "add")
    answer = client.post(f"/api/v1/choices/{district_choice}/decision", json={"approve": True}, headers=city)
    assert answer.status_code == 409
