"""The review page makes a plan without annotations ready: forms for phases and
for units on many measures, refusals beside the field with what was typed, and
the same through the API; only the owning office's admin may use them."""

import re

from service.departments.models import Department
from service.flows.importing import import_plan
from tests.factories import NOW

BARE = """测试工作要点
一、重点任务
1.推进甲工作。完善甲机制。
2.推进乙工作。完善乙机制。
"""


def _draft(session_factory, world) -> tuple[int, list[int], list[int]]:
    with session_factory() as session:
        plan = import_plan(session, world.actor(session, "city_admin"), text=BARE, now=NOW).plan
        ids = plan.id, [t.id for t in plan.tasks], [m.id for m in plan.measures]
        session.commit()
    return ids


def test_the_page_lists_blockers_with_links_and_no_ready_banner(client_factory, session_factory, world):
    plan_id, _, measures = _draft(session_factory, world)
    browser = client_factory().login("city_admin")
    page = browser.get(f"/plans/import?plan={plan_id}").text
    blockers = re.search(r"<ul class=\"list\" data-blockers>(.*?)</ul>", page, re.S).group(1)
    assert 'href="#phases"' in blockers and f'href="#measure-{measures[0]}"' in blockers
    assert "可以启动计划" not in page and f'href="/plans/{plan_id}/activate"' not in page
    # Measures under their task's heading, each task with its own box.
    assert re.search(r"1\. 推进甲工作</b>.*?完善甲机制.*?2\. 推进乙工作</b>.*?完善乙机制", page, re.S)


def test_a_refused_form_comes_back_with_what_was_typed_and_the_error_beside_the_field(client_factory, session_factory, world):
    plan_id, tasks, _ = _draft(session_factory, world)
    browser = client_factory().login("city_admin")
    page = f"/plans/import?plan={plan_id}"
    refused = browser.submit(
        f"/plans/{plan_id}/assign",
        {"task": str(tasks[0]), "lead": "市知识产权局、市教育局", "support": "sfzggw", "deadline": "明年"},
        page=page,
    )
    assert refused.status_code == 422
    assert 'value="市知识产权局、市教育局"' in refused.text and 'value="sfzggw"' in refused.text
    assert re.search(r'name="lead"[^>]*>\s*</label><span class="field-error" role="alert">单位名录中没有：市教育局', refused.text)
    assert "日期应为 年-月-日" in refused.text
    assert re.search(rf'name="task" value="{tasks[0]}" form="assign" checked', refused.text)

    phase = browser.submit(f"/plans/{plan_id}/phases", {"name": "实施阶段", "deadline": ""}, page=page)
    assert phase.status_code == 422 and 'value="实施阶段"' in phase.text and "请填写阶段截止日期" in phase.text


def test_phases_and_units_through_the_forms_make_the_plan_ready(client_factory, session_factory, world):
    plan_id, tasks, measures = _draft(session_factory, world)
    browser = client_factory().login("city_admin")
    page = f"/plans/import?plan={plan_id}"
    added = browser.submit(f"/plans/{plan_id}/phases", {"name": "实施阶段", "deadline": "2027-06-30"}, page=page)
    assert "已添加阶段“实施阶段”" in added.text
    assigned = browser.submit(
        f"/plans/{plan_id}/assign", {"every": "1", "lead": "sfzggw", "support": "市知识产权局"}, page=page
    )
    assert "已为 2 条措施分配单位" in assigned.text and "可以启动计划" in assigned.text
    assert "data-blockers" not in assigned.text
    assert f'href="/plans/{plan_id}/activate"' in assigned.text
    activated = browser.submit(f"/plans/{plan_id}/activate", {"confirm": "1"}, page=f"/plans/{plan_id}/activate")
    assert "计划已启动" in activated.text
    audit = browser.get("/audit").text
    assert "新增阶段" in audit and "修改措施" in audit and ">phase.create<" not in audit


def test_only_the_owning_office_admin_may_make_a_draft_ready(client_factory, session_factory, world):
    plan_id, tasks, _ = _draft(session_factory, world)
    form = {"every": "1", "lead": "市知识产权局"}
    department = client_factory().login("ip_user")
    assert department.submit(f"/plans/{plan_id}/assign", form).status_code == 403
    assert department.submit(f"/plans/{plan_id}/phases", {"name": "实施阶段", "deadline": "2027-06-30"}).status_code == 403
    other = client_factory().login("other_admin")
    assert other.submit(f"/plans/{plan_id}/assign", form).status_code == 404
    assert other.get(f"/plans/import?plan={plan_id}").status_code == 404


def test_the_api_assigns_and_edits_phases_for_the_office_admin_only(client_factory, session_factory, world):
    plan_id, tasks, measures = _draft(session_factory, world)
    api = client_factory()
    body = {"task_ids": [tasks[1]], "lead": [world.departments["ip"].id], "deadline": "2027-03-31"}
    for user, status in (("ip_user", 403), ("other_admin", 404)):
        assert api.post(f"/api/v1/plans/{plan_id}/assignments", json=body, headers=world.headers(user)).status_code == status
        assert api.post(
            f"/api/v1/plans/{plan_id}/phases", json={"name": "实施阶段", "deadline": "2027-06-30"}, headers=world.headers(user)
        ).status_code == status
    admin = world.headers("city_admin")
    for user, status in (("ip_user", 403), ("other_admin", 404)):
        assert api.get(f"/api/v1/plans/{plan_id}/readiness", headers=world.headers(user)).status_code == status
    readiness = api.get(f"/api/v1/plans/{plan_id}/readiness", headers=admin).json()
    assert readiness["blockers"][1] == {"message": "2 条措施没有牵头单位", "anchor": f"measure-{measures[0]}", "measure_ids": measures}
    assert api.post(f"/api/v1/plans/{plan_id}/assignments", json=body, headers=admin).json() == {"measures_changed": 1}
    refused = api.post(f"/api/v1/plans/{plan_id}/assignments", json=body | {"task_ids": [], "measure_ids": []}, headers=admin)
    assert refused.status_code == 422 and "请先勾选" in refused.json()["detail"]
    phase = api.post(f"/api/v1/plans/{plan_id}/phases", json={"name": "实施阶段", "deadline": "2027-06-30"}, headers=admin)
    assert phase.status_code == 201
    renamed = api.put(
        f"/api/v1/plans/{plan_id}/phases/{phase.json()['id']}", json={"name": "攻坚阶段", "deadline": "2027-09-30"}, headers=admin
    )
    assert renamed.json()["name"] == "攻坚阶段"
    tree = api.get(f"/api/v1/plans/{plan_id}", headers=admin).json()
    assert tree["phases"][0]["deadline"] == "2027-09-30" and tree["period_end"] == "2027-09-30"
    assert tree["tasks"][1]["measures"][0]["deadline"] == "2027-03-31"
    notices = api.get(f"/api/v1/plans/{plan_id}/readiness", headers=admin).json()["notices"]
    assert [n["code"] for n in notices] == []  # 2027 is ahead and 市知识产权局 has an address
    assert api.delete(f"/api/v1/plans/{plan_id}/phases/{phase.json()['id']}", headers=admin).status_code == 204


def test_a_second_upload_of_a_document_links_the_plan_it_became(client_factory, session_factory, world):
    plan_id, _, _ = _draft(session_factory, world)
    browser = client_factory().login("city_admin")
    files = [("document", ("要点.txt", BARE.encode("gb18030"), "text/plain"))]
    refused = browser.submit("/plans/import", page="/plans/import", files=files)
    assert refused.status_code == 409 and "这份文件已经导入过" in refused.text
    assert f'href="/plans/import?plan={plan_id}"' in refused.text and 'name="again"' in refused.text
    again = browser.submit("/plans/import", {"again": "1"}, page="/plans/import", files=files)
    assert again.status_code == 200 and int(again.url.params["plan"]) != plan_id


def test_a_draft_is_deleted_only_after_the_confirmation(client_factory, session_factory, world):
    plan_id, _, _ = _draft(session_factory, world)
    page = f"/plans/import?plan={plan_id}"
    assert client_factory().login("ip_user").submit(f"/plans/{plan_id}/delete", {"confirm": "1"}).status_code == 403
    assert client_factory().login("other_admin").submit(f"/plans/{plan_id}/delete", {"confirm": "1"}).status_code == 404
    browser = client_factory().login("city_admin")
    unconfirmed = browser.submit(f"/plans/{plan_id}/delete", page=page)
    assert "请勾选确认后再删除" in unconfirmed.text and browser.get(page).status_code == 200
    active = browser.submit(f"/plans/{world.plans['city']}/delete", {"confirm": "1"}, page=page)
    assert "计划当前状态为“推进中”，只有草稿的计划可以修改" in active.text
    deleted = browser.submit(f"/plans/{plan_id}/delete", {"confirm": "1"}, page=page)
    assert "草稿“测试工作要点”已删除" in deleted.text and deleted.url.path == "/plans"
    assert browser.get(page).status_code == 404
    api = client_factory()
    assert api.delete(f"/api/v1/plans/{world.plans['city']}", headers=world.headers("city_admin")).status_code == 409


def test_the_directory_flags_units_without_contact_and_leaves_proposed_names_out(client_factory, session_factory, world):
    with session_factory() as session:
        admin = world.actor(session, "city_admin")
        plan = import_plan(session, admin, text=BARE.replace("完善甲机制。", "完善甲机制(市新设局牵头)。"), now=NOW).plan
        session.add(Department(office_id=plan.office_id, name="市无联系局", created_at=NOW))
        session.commit()
        plan_id = plan.id
    page = client_factory().login("city_admin").get("/departments").text
    row = re.search(r'<tr id="department-\d+">\s*<td[^>]*><a [^>]*><b>市无联系局</b>.*?</tr>', page, re.S).group(0)
    assert "无联系方式" in row and "1 个单位没有联系方式" in page
    assert "<b>市新设局</b>" not in page
    proposed = re.search(r'<section class="card" id="proposed">.*?</section>', page, re.S).group(0)
    assert "市新设局" in proposed and f'href="/plans/import?plan={plan_id}#mapping"' in proposed


def test_a_refused_measure_edit_reopens_its_form_with_what_was_typed(client_factory, session_factory, world):
    plan_id, _, measures = _draft(session_factory, world)
    browser = client_factory().login("city_admin")
    page = f"/plans/import?plan={plan_id}"
    url = f"/plans/{plan_id}/measures/{measures[0]}"
    refused = browser.submit(url, {"text": "完善甲机制，补充内容", "lead": "市外局"}, page=page)
    assert refused.status_code == 422
    form = re.search(rf'<details open><summary>修改</summary>\s*<form method="post" action="{url}".*?</form>', refused.text, re.S)
    assert "完善甲机制，补充内容</textarea>" in form.group(0)
    assert re.search(r'name="lead"[^>]*value="市外局"></label><span class="field-error" role="alert">单位名录中没有：市外局', form.group(0))
    empty = browser.submit(url, {"text": " ", "lead": "市知识产权局"}, page=page)
    assert empty.status_code == 422 and re.search(r'</textarea></label><span class="field-error" role="alert">措施内容 不能为空', empty.text)
    saved = browser.submit(url, {"text": "完善甲机制", "lead": "szscqj", "support": "市发展改革委"}, page=page)
    assert "措施已修改" in saved.text and 'value="市知识产权局"' in saved.text
