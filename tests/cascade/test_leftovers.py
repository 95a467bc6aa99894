"""The cascade's leftovers: a late change of choice reaches the parent office's own channels and
waits in its work; the 选做申报 date form keeps what was typed; an optional measure given directly to
one child office's unit is offered, not issued; decomposing into the child's started plan; a parent's
reminder on the child office's notifications page."""

from datetime import date

from sqlalchemy import select

from service.auth.actor import Actor
from service.delivery.models import Notification
from service.departments.models import KIND_GROUP, Department
from service.flows.choices import KIND_CHOICE_REQUEST
from service.flows.plan_creation import create_plan_from_parsed
from service.milestones.models import EVENT_ASSIGNMENT, Milestone, WorkflowEvent
from service.plans.models import Assignment, Measure
from tests.cascade.test_authorization import _codes
from tests.cascade.test_choice_authorization import _optional_draft, _start
from tests.factories import NOW, simple_plan
from tests.web.conftest import client_factory, clock, web_settings  # noqa: F401 (fixtures)


def _office_channel(client, chain, who: str, target: str) -> int:
    created = client.post("/api/v1/channels", json={"audience": "office", "type": "wecom", "target": target},
                          headers=chain.headers(who))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_a_late_change_of_choice_tells_the_parent_office_and_waits_in_its_work(
    client, chain, session_factory, client_factory  # noqa: F811
):
    plan_id, task_id, _ = _optional_draft(session_factory, chain)
    city_channel = _office_channel(client, chain, "city_admin", "city-key")
    _office_channel(client, chain, "district_admin", "district-key")
    city = chain.headers("city_admin")
    assert client.put(f"/api/v1/plans/{plan_id}/choice-deadline", json={"choice_deadline": "2026-10-30"},
                      headers=city).status_code == 200
    _start(session_factory, chain, plan_id)
    answer = client.put(f"/api/v1/choices/tasks/{task_id}", json={"take": True, "reason": "区里有条件开展"},
                        headers=chain.headers("district_admin"))
    assert answer.status_code == 200, answer.text
    with session_factory() as session:
        sent = session.scalars(select(Notification).where(Notification.kind == KIND_CHOICE_REQUEST)).all()
        assert [(n.office_id, n.channel_id, n.target) for n in sent] == [(chain.offices["city"].id, city_channel, "city-key")]
        text = sent[0].body_text
        assert "越秀区知识产权工作领导小组办公室在选做申报截止后申请增选选做任务" in text
        assert "理由：区里有条件开展" in text and "下级办公室落实情况" in text
        assert sent[0].subject == "【督办】越秀区知识产权工作领导小组办公室申请增选选做任务，待审批"
    # The city sees it waiting: on the plan's button and on its shares page; the district does not.
    pages = client_factory().login("city_admin")
    assert "1 项选做变更待审批" in pages.get(f"/plans/{plan_id}").text
    assert "选做变更待审批" not in client_factory().login("district_admin").get("/issued/choices").text
    shares = pages.get(f"/plans/{plan_id}/issued")
    assert "有 <b>1</b> 项选做变更申请待本办公室审批" in shares.text
    # A refused request (no reason) tells nobody.
    assert client.put(f"/api/v1/choices/tasks/{task_id}", json={"take": True},
                      headers=chain.headers("sibling_admin")).status_code == 422
    with session_factory() as session:
        assert len(session.scalars(select(Notification).where(Notification.kind == KIND_CHOICE_REQUEST)).all()) == 1
    answer = client.post(f"/api/v1/choices/{_choice_id(client, chain, plan_id)}/decision", json={"approve": True},
                         headers=city)
    assert answer.status_code == 200
    assert "项选做变更待审批" not in pages.get(f"/plans/{plan_id}").text


def _choice_id(client, chain, plan_id: int) -> int:
    rows = client.get(f"/api/v1/plans/{plan_id}/choices", headers=chain.headers("city_admin")).json()
    return next(r["choice"]["choice_id"] for r in rows if r["choice"] and r["choice"]["request"])


def test_a_refused_choice_date_comes_back_as_typed_beside_its_field(chain, session_factory, client_factory):  # noqa: F811
    plan_id, _, _ = _optional_draft(session_factory, chain)
    city = client_factory().login("city_admin")
    page = f"/plans/{plan_id}"
    bad = city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-13-40"}, page=page)
    assert bad.status_code == 422
    field = bad.text.split('name="choice_deadline"')[1].split("</label>")[0]
    assert 'value="2026-13-40"' in field and "选做申报截止日期的格式不正确" in field
    assert city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-11-20"}, page=page,
                       follow_redirects=False).status_code == 303
    _start(session_factory, chain, plan_id)
    emptied = city.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": ""}, page=page)
    field = emptied.text.split('name="choice_deadline"')[1].split("</label>")[0]
    assert emptied.status_code == 422 and 'value=""' in field and "不能取消" in field
    assert "2026年11月20日" in emptied.text  # the plan's date itself is unchanged
    for who in ("district_admin", "sibling_admin", "street_admin"):
        other = client_factory().login(who)
        assert other.submit(f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-12-01"},
                            page="/issued").status_code == 404
    assert client_factory().login("city_leader").submit(
        f"/plans/{plan_id}/choice-deadline", {"choice_deadline": "2026-12-01"}, page=page).status_code == 403


def _optional_draft_for(session_factory, chain, support: list[str]) -> tuple[int, int, int]:
    with session_factory() as session:
        parsed = simple_plan("市知识产权局", support)
        parsed["tasks"][0]["mandatory"] = False
        plan = create_plan_from_parsed(session, Actor.system(chain.offices["city"].id), parsed, now=NOW).plan
        session.commit()
        return plan.id, plan.tasks[0].id, plan.measures[0].id


def test_an_optional_measure_given_directly_to_one_child_offices_unit_is_offered_to_that_office(client, chain, session_factory):
    plan_id, task_id, measure_id = _optional_draft_for(session_factory, chain, ["越秀区政府"])
    city = chain.headers("city_admin")
    assert client.put(f"/api/v1/plans/{plan_id}/choice-deadline", json={"choice_deadline": "2026-11-20"},
                      headers=city).status_code == 200
    _start(session_factory, chain, plan_id)
    district = chain.headers("district_admin")
    assert [i for i in client.get("/api/v1/issued", headers=district).json() if i["measure_id"] == measure_id] == []
    offered = client.get("/api/v1/choices", headers=district).json()
    assert [(o["task_id"], o["taken"]) for o in offered] == [(task_id, False)]
    assert client.get("/api/v1/choices", headers=chain.headers("sibling_admin")).json() == []
    rows = client.get(f"/api/v1/plans/{plan_id}/choices", headers=city).json()
    assert [r["office_name"][:3] for r in rows] == ["越秀区"]
    codes = _codes(client, chain, "PUT", f"/api/v1/choices/tasks/{task_id}", {"take": True})
    assert codes == {"city_admin": 404, "city_leader": 403, "district_admin": 200, "sibling_admin": 404,
                     "ip_user": 403, "yuexiu_user": 403, "street_admin": 404, "other_admin": 404}
    issued = [i for i in client.get("/api/v1/issued", headers=district).json() if i["measure_id"] == measure_id]
    assert [i["role"] for i in issued] == ["support"]
    with session_factory() as session:
        units = session.scalars(select(Assignment.department_id).where(Assignment.measure_id == measure_id)).all()
        assert chain.departments["yuexiu_gov"].id in units and chain.departments["tianhe_gov"].id not in units


def _started_district_plan(client, chain) -> int:
    """越秀区 decomposes its first issued item into a new plan of its own and starts it."""
    district = chain.headers("district_admin")
    body = {"plan_title": "越秀区落实方案", "phases": [{"name": "落实", "deadline": "2026-12-01"}], "text": "区里落实。",
            "lead": [chain.departments["yuexiu_ip"].id]}
    answer = client.post(f"/api/v1/issued/{chain.issued['yuexiu_gov'][0]}/decompose", json=body, headers=district)
    assert answer.status_code == 201, answer.text
    plan_id = answer.json()["plan_id"]
    assert client.post(f"/api/v1/plans/{plan_id}/activate", headers=district).status_code == 200
    return plan_id


def test_decomposing_into_the_child_offices_started_plan_issues_the_measure_at_once(
    client, chain, session_factory, client_factory  # noqa: F811
):
    plan_id = _started_district_plan(client, chain)
    item = chain.issued["yuexiu_gov"][1]
    district = chain.headers("district_admin")
    with session_factory() as session:
        streets = Department(office_id=chain.offices["district"].id, name="各街道", kind=KIND_GROUP, created_at=NOW)
        session.add(streets)
        session.commit()
        streets_id = streets.id
    body = {"plan_id": plan_id, "text": "区统计局配合落实。", "lead": [chain.departments["yuexiu_ip"].id]}
    url = f"/api/v1/issued/{item}/decompose"
    # The parent's rule on deadlines holds: later than the parent's needs a reason.
    late = client.post(url, json=body | {"deadline": "2027-03-31"}, headers=district)
    assert late.status_code == 422 and "请说明理由" in late.json()["detail"]
    grouped = client.post(url, json=body | {"support": [streets_id]}, headers=district)
    assert grouped.status_code == 422 and "不能指定单位组" in grouped.json()["detail"]
    codes = _codes(client, chain, "POST", url, body | {"deadline": "2027-03-31", "late_reason": "统计年报三月发布"})
    assert codes == {"city_admin": 403, "city_leader": 403, "ip_user": 403, "district_admin": 201,
                     "yuexiu_user": 403, "sibling_admin": 404, "street_admin": 404, "other_admin": 404}
    with session_factory() as session:
        measure = session.scalars(select(Measure).where(Measure.parent_assignment_id == item)).one()
        assert (measure.plan_id, measure.late_reason) == (plan_id, "统计年报三月发布")
        given = session.scalars(select(Assignment).where(Assignment.measure_id == measure.id)).all()
        assert [(a.department_id, a.role) for a in given] == [(chain.departments["yuexiu_ip"].id, "lead")]
        checkpoints = session.scalars(select(Milestone).where(Milestone.assignment_id == given[0].id)).all()
        assert [(m.plan_id, m.due_date, m.phase_id) for m in checkpoints] == [(plan_id, date(2027, 3, 31), None)]
        assert checkpoints[0].next_reminder_at is not None
        assert session.scalars(select(WorkflowEvent.kind).where(WorkflowEvent.milestone_id == checkpoints[0].id)).all() == [
            EVENT_ASSIGNMENT]
        assert session.get(Assignment, item).signed_at is not None
    # The district's bureau has it on its work list at once.
    work = client.get("/api/v1/assignments", headers=chain.headers("yuexiu_user")).json()
    assert given[0].id in {i["id"] for i in work["items"]}
    # On the page: the started plan is offered, and the message says the units have it now.
    pages = client_factory().login("district_admin")
    page = pages.get("/issued")
    assert "越秀区落实方案（推进中，分解后即交办各单位）" in page.text
    done = pages.submit(f"/issued/{chain.issued['yuexiu_gov'][1]}/decompose",
                        {"plan_id": str(plan_id), "text": "再分解一项。", "lead": str(chain.departments["yuexiu_ip"].id)},
                        page="/issued")
    assert done.status_code == 200 and "已交办各单位" in done.text


def test_the_parents_reminder_reaches_the_child_offices_channel_and_its_notifications_page(
    client, chain, client_factory  # noqa: F811
):
    district_channel = _office_channel(client, chain, "district_admin", "district-key")
    _office_channel(client, chain, "sibling_admin", "sibling-key")
    item = chain.issued["yuexiu_gov"][0]
    answer = client.post(f"/api/v1/assignments/{item}/chase", json={"level": "urge"}, headers=chain.headers("city_admin"))
    assert answer.status_code == 200 and answer.json()["chased"] == 1, answer.text
    city_rows = client.get("/api/v1/notifications", headers=chain.headers("city_admin")).json()
    sent = [n for n in city_rows if n["channel_id"] == district_channel]
    assert len(sent) == 1
    notification = sent[0]["id"]
    # The district's admins (and its leader's reads) see it; its bureau, the sibling and the street do not.
    mine = client.get("/api/v1/notifications", headers=chain.headers("district_admin")).json()
    assert [n["id"] for n in mine] == [notification]
    for who in ("sibling_admin", "street_admin", "yuexiu_user", "other_admin"):
        assert notification not in {n["id"] for n in client.get("/api/v1/notifications", headers=chain.headers(who)).json()}
        assert client.get(f"/api/v1/notifications/{notification}", headers=chain.headers(who)).status_code == 404
    assert client.get(f"/api/v1/notifications/{notification}", headers=chain.headers("district_admin")).status_code == 200
    # Only the parent resends what the parent sent.
    codes = _codes(client, chain, "POST", f"/api/v1/notifications/{notification}/retry")
    assert codes["district_admin"] == 403 and codes["city_admin"] == 409  # pending: nothing to resend yet
    assert {codes[w] for w in ("sibling_admin", "street_admin", "yuexiu_user", "other_admin")} == {404}
    page = client_factory().login("district_admin").get("/notifications")
    row = page.text.split(f'data-notification="{notification}"')[1].split("</tr>")[0]
    assert "上级交办：广州市知识产权工作领导小组办公室" in row and "重发" not in row
