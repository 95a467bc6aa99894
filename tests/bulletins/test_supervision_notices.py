"""三色督办单: the colour proposed from the item's state, the printable sheet and its
.docx, issuing recorded in the item's history, sent through the outbox, and one
催办 or 督办单 per item and day."""

import io
from datetime import date

from docx import Document
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.bulletins import service
from service.bulletins.models import SupervisionNotice
from service.delivery.models import Notification
from service.delivery.service import digest_bodies
from service.milestones import assignments
from tests.bulletins.conftest import keep, to_pdf
from tests.web.test_chinese_pages import _Visible, problems

TODAY = date(2026, 11, 2)


def _notice(client, world, assignment_id, user="city_admin", **body):
    return client.post(f"/api/v1/assignments/{assignment_id}/supervision-notices", headers=world.headers(user),
                       json={"colour": "red", "requirement": "立即整改并书面报告。", "answer_by": "2026-11-05"} | body)


def _outbox(session_factory):
    with session_factory() as session:
        return [(n.target, n.level) for n in session.scalars(select(Notification).order_by(Notification.id))]


def test_the_colour_is_proposed_from_the_items_state(session_factory, scripted):
    world, _, items = scripted
    with session_factory() as session:
        actor = world.actor(session, "city_admin")
        proposed = {
            key: service.propose_colour(assignments.get_work_item(session, actor, items[key]), TODAY)
            for key in ("late", "returned", "extended")
        }
    assert proposed == {"late": "red", "returned": "yellow", "extended": "blue"}


def test_issuing_stores_the_sheet_records_it_sends_it_and_takes_the_days_chase(client, session_factory, scripted):
    world, _, items = scripted
    issued = _notice(client, world, items["late"])
    assert issued.status_code == 201, issued.text
    notice = issued.json()
    assert (notice["colour"], notice["answer_by"], notice["sent"]) == ("red", "2026-11-05", True)
    # 红色督办 reaches the unit (and, as 督办, the office's audiences): through the outbox.
    assert ("ip@example.cn", "red") in _outbox(session_factory)
    with session_factory() as session:
        [mail] = session.scalars(select(Notification).where(Notification.target == "ip@example.cn")).all()
        sent = digest_bodies(client.app.state.settings, mail)
        assert "【红色督办单】立即整改并书面报告。请于2026年11月5日前反馈办理情况。" in sent.text
        assert "红色督办单】立即整改并书面报告。" in sent.html and "红色督办单】" in sent.markdown
    with session_factory() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.supervision_notice")).all()
        assert (event.entity_id, event.after["notice_id"], event.after["colour"]) == (items["late"], notice["id"], "red")
    # One per item and day, shared with manual 催办 both ways.
    again = _notice(client, world, items["late"], colour="yellow")
    assert again.status_code == 429 and "每件每天一次" in again.json()["detail"]
    chase = client.post(f"/api/v1/assignments/{items['late']}/chase", headers=world.headers("city_admin"),
                        json={"level": "urge"})
    assert chase.status_code == 429
    chased = client.post(f"/api/v1/assignments/{items['returned']}/chase", headers=world.headers("city_admin"),
                         json={"level": "remind"})
    assert chased.status_code == 200
    assert _notice(client, world, items["returned"], colour="yellow").status_code == 429
    # Without sending, the day's slot is still taken and nothing is queued.
    before = len(_outbox(session_factory))
    quiet = _notice(client, world, items["extended"], colour="blue", send=False)
    assert quiet.status_code == 201 and quiet.json()["sent"] is False
    assert len(_outbox(session_factory)) == before
    assert client.post(f"/api/v1/assignments/{items['extended']}/chase", headers=world.headers("city_admin"),
                       json={"level": "remind"}).status_code == 429


def test_the_docx_is_one_page_sheet_with_the_items_facts(client, session_factory, scripted):
    world, _, items = scripted
    notice_id = _notice(client, world, items["late"]).json()["id"]
    answer = client.get(f"/api/v1/supervision-notices/{notice_id}.docx", headers=world.headers("city_admin"))
    assert answer.status_code == 200
    keep("督办单-红色.docx", answer.content)
    doc = Document(io.BytesIO(answer.content))
    assert doc.paragraphs[0].text == "督 办 单（红色）"
    assert str(doc.paragraphs[0].runs[0].font.color.rgb) == "C00000"
    rows = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert rows["承办单位"] == "市知识产权局" and rows["督办事项"] == "任务1：措施1。"
    assert rows["完成时限"] == "2026年10月20日（已逾期 13 天）" and rows["督办要求"] == "立即整改并书面报告。"
    assert rows["反馈时限"] == "请于2026年11月5日前反馈办理情况" and rows["督办事由"] == "已逾期"
    assert world.offices["city"].name in [p.text for p in doc.paragraphs]
    # The stored bytes, whatever happens to the item later.
    with session_factory() as session:
        assert session.get(SupervisionNotice, notice_id).document == answer.content


def test_the_sheet_renders_to_pdf(client, scripted):
    world, _, items = scripted
    notice_id = _notice(client, world, items["late"]).json()["id"]
    answer = client.get(f"/api/v1/supervision-notices/{notice_id}.docx", headers=world.headers("city_admin"))
    to_pdf(keep("督办单-PDF.docx", answer.content))


def test_only_the_office_issues_and_a_unit_sees_only_its_own(client, browser, session_factory, scripted):
    world, _, items = scripted
    for user, status in (("ip_user", 403), ("city_leader", 403), ("dev_user", 404), ("district_admin", 404),
                         ("other_admin", 404)):
        assert _notice(client, world, items["late"], user=user).status_code == status, user
    notice_id = _notice(client, world, items["late"]).json()["id"]
    unit = browser("ip_user")
    page = unit.get(f"/supervision-notices/{notice_id}")
    assert page.status_code == 200 and "红色督办单" in page.text and "请于2026年11月5日前反馈办理情况" in page.text
    assert unit.get(f"/supervision-notices/{notice_id}.docx").status_code == 200
    assert f"/supervision-notices/{notice_id}" in unit.get(f"/assignments/{items['late']}").text
    other_unit = browser("dev_user")
    assert other_unit.get(f"/supervision-notices/{notice_id}").status_code == 404
    assert other_unit.get(f"/supervision-notices/{notice_id}.docx").status_code == 404
    assert client.get(f"/api/v1/supervision-notices/{notice_id}.docx", headers=world.headers("other_admin")).status_code == 404
    assert unit.get(f"/assignments/{items['late']}/supervision").status_code == 403


def test_the_form_previews_asks_for_confirmation_and_keeps_what_was_typed(browser, session_factory, scripted):
    world, _, items = scripted
    admin = browser("city_admin")
    form_path = f"/assignments/{items['returned']}/supervision"
    form = admin.get(form_path).text
    assert "根据事项状态建议：<b>黄色督办单</b>" in form and 'value="yellow" checked' in form
    assert 'class="notice-sheet notice-yellow"' in form and "已被退回" in form
    bad = admin.get(form_path, params={"colour": "red", "requirement": "写好的要求", "answer_by": "2026-10-01"})
    assert bad.status_code == 422 and "反馈时限不能早于今天" in bad.text and "写好的要求" in bad.text
    data = {"colour": "yellow", "requirement": "请说明退回意见的整改情况。", "answer_by": "2026-11-06", "send": "1"}
    unconfirmed = admin.submit(form_path, data, page=form_path)
    assert unconfirmed.status_code == 422 and "请勾选确认后再开具督办单" in unconfirmed.text
    assert "请说明退回意见的整改情况。" in unconfirmed.text
    with session_factory() as session:
        assert session.scalars(select(SupervisionNotice)).all() == []
    done = admin.submit(form_path, data | {"confirm": "1"}, page=form_path, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/supervision-notices/")
    sheet = admin.get(done.headers["location"]).text
    assert "黄色督办单" in sheet and "@media print" not in sheet and "data-print" in sheet
    item_page = admin.get(f"/assignments/{items['returned']}").text
    assert "黄色督办单（2026年11月2日开具，请于2026年11月6日前反馈）" in item_page
    twice = admin.submit(form_path, data | {"confirm": "1"}, page=form_path)
    assert twice.status_code == 429 and "每件每天一次" in twice.text


def test_the_document_pages_speak_chinese(browser, client, scripted):
    world, plan_id, items = scripted
    admin = browser("city_admin")
    page = f"/bulletins/{plan_id}"
    draft = admin.submit(f"{page}/documents", {"month": "2026-11"}, page=page, follow_redirects=False).headers["location"]
    notice_id = _notice(client, world, items["late"]).json()["id"]
    paths = [page, draft, f"/assignments/{items['returned']}/supervision", f"/supervision-notices/{notice_id}",
             f"/assignments/{items['late']}"]
    admin.submit(f"{draft}/issue", {"confirm": "1"}, page=draft)
    paths.append(draft)
    found = {}
    for path in paths:
        answer = admin.get(path)
        assert answer.status_code == 200, path
        parser = _Visible()
        parser.feed(answer.text)
        # The header shows the login name (test users' names have underscores; the demo's do not).
        if bad := problems(" ".join(parser.text).replace("city_admin", " "), set()):
            found[path] = bad
    assert found == {}
