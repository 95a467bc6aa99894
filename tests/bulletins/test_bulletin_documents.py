"""督办通报 as a document: drafted from the page's figures, edited, confirmed, issued
as 第N期 of the office's year and kept as issued; the .xlsx gains the indicators."""

import io
import threading
from datetime import date, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from service.bulletins import service
from service.bulletins.models import ISSUED, BulletinDocument
from service.errors import Conflict, Forbidden
from service.milestones.models import APPROVED, Milestone
from tests.bulletins.conftest import keep, to_pdf
from tests.factories import NOW

TODAY = date(2026, 11, 2)


def _tables(document) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def _issue_through_pages(admin, plan_id: int, narrative: str, next_steps: str) -> int:
    page = f"/bulletins/{plan_id}"
    made = admin.submit(f"{page}/documents", {"month": "2026-11"}, page=page, follow_redirects=False)
    assert made.status_code == 303, made.text
    draft = made.headers["location"]
    saved = admin.submit(draft, {"narrative": narrative, "next_steps": next_steps}, page=draft, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == draft
    issued = admin.submit(f"{draft}/issue", {"confirm": "1"}, page=draft, follow_redirects=False)
    assert issued.status_code == 303
    return int(draft.rsplit("/", 1)[1])


def test_the_issued_docx_carries_the_pages_figures_and_the_offices_text(browser, session_factory, scripted):
    world, plan_id, _ = scripted
    admin = browser("city_admin")
    page = admin.get(f"/bulletins/{plan_id}?month=2026-11").text
    with session_factory() as session:
        actor = world.actor(session, "city_admin")
        b = service.build_bulletin(session, actor, plan_id, "2026-11", TODAY, world_tz())
        figures = service.snapshot(session, actor, b, world_tz())
    # The page's figures, worked out by hand from the scripted month.
    assert (b.completion.total, b.completion.approved, len(b.overdue), b.approved_in_period) == (8, 1, 1, 1)
    assert f"完成度 <b>{b.completion.percent}%</b>" in page and "未签收事项（7 项）" in page
    assert "被退回事项（1 项）" in page and "本期批准延期事项（1 项）" in page

    document_id = _issue_through_pages(admin, plan_id, "本月各单位总体推进有力。", "一是加快逾期事项整改。\n二是按月报送进展。")
    answer = admin.get(f"/bulletin-documents/{document_id}.docx")
    assert answer.status_code == 200
    assert "filename*=UTF-8''" + quote("市知识产权局测试行动计划-督办通报2026年第1期.docx") in answer.headers["content-disposition"]
    keep("督办通报-2026年第1期.docx", answer.content)
    doc = Document(io.BytesIO(answer.content))
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、总体进展", "二、工作较好的单位", "三、进度滞后的单位和事项", "四、指标完成情况", "五、下一步工作"]
    assert "2026年第1期" in texts and world.offices["city"].name in texts[2]
    assert "关于《市知识产权局测试行动计划》2026年11月推进情况的通报" in texts
    assert service.overall_text(figures) in texts and "本月各单位总体推进有力。" in texts
    assert ["一是加快逾期事项整改。", "二是按月报送进展。"] == texts[texts.index("五、下一步工作") + 1:][:2]
    # East Asian text uses 仿宋 / 黑体, not the reader's fallback.
    run = doc.paragraphs[texts.index("本月各单位总体推进有力。")].runs[0]
    assert run._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋"
    ranking, overdue, unsigned, returned, extended, indicator = _tables(doc)
    assert ranking[1:] == [["1", "市知识产权局", "50%", "1", "1/4"], ["2", "市发展改革委", "—", "0", "0/4"]]
    assert ranking[1:] == [[str(r["rank"]), r["unit"], r["rate"], str(r["overdue"]), f"{r['approved']}/{r['total']}"]
                           for r in figures["ranking"]]
    assert overdue[0][4] == "逾期" and overdue[1] == ["市知识产权局", "任务1：措施1。", "第1阶段", "2026年10月20日", "13 天"]
    assert unsigned[1:] == [["市发展改革委", "4 项"], ["市知识产权局", "3 项"]] and "（二）尚未签收事项：7 项" in texts
    assert len(returned) == 1 + 1
    assert extended[1] == ["市发展改革委", "任务1：措施1。", "2026年12月20日", "2027年1月31日"]
    assert indicator[1][:4] == ["发明专利授权", "不低于 100件", "40件", "40%"]
    assert "市知识产权局（逾期 1 项）存在逾期未办结事项。" in texts


def test_the_issued_bulletin_renders_to_pdf(browser, scripted):
    world, plan_id, _ = scripted
    admin = browser("city_admin")
    document_id = _issue_through_pages(admin, plan_id, "本月各单位总体推进有力。", "加快整改。")
    to_pdf(keep("督办通报-PDF.docx", admin.get(f"/bulletin-documents/{document_id}.docx").content))


def test_an_issued_bulletin_is_kept_as_issued(browser, session_factory, scripted):
    world, plan_id, _ = scripted
    admin = browser("city_admin")
    document_id = _issue_through_pages(admin, plan_id, "说明", "部署")
    first = admin.get(f"/bulletin-documents/{document_id}.docx").content
    with session_factory() as session:  # later activity: every open checkpoint approved
        for m in session.scalars(select(Milestone).where(Milestone.plan_id == plan_id)):
            m.state, m.approved_at = APPROVED, NOW
        session.commit()
    assert admin.get(f"/bulletin-documents/{document_id}.docx").content == first
    page = admin.get(f"/bulletin-documents/{document_id}").text
    assert "2026年第1期" in page and "逾期未办结 1 个" in page and "印发通报" not in page
    # The issued text cannot be changed any more.
    refused = admin.submit(f"/bulletin-documents/{document_id}", {"narrative": "想改的说明", "next_steps": ""},
                           page=f"/bulletin-documents/{document_id}")
    assert refused.status_code == 409 and "不能再修改" in refused.text


def test_issuing_needs_the_confirmation_and_keeps_the_draft_editable(browser, session_factory, scripted):
    world, plan_id, _ = scripted
    admin = browser("city_admin")
    page = f"/bulletins/{plan_id}"
    draft = admin.submit(f"{page}/documents", {"month": "2026-11"}, page=page, follow_redirects=False).headers["location"]
    preview = admin.get(draft).text
    assert "印发后本通报编为<b>2026年第1期</b>" in preview and 'name="confirm"' in preview
    refused = admin.submit(f"{draft}/issue", {}, page=draft)
    assert "请勾选确认后再印发" in refused.text
    too_long = admin.submit(draft, {"narrative": "长" * 20001, "next_steps": "保留的部署"}, page=draft)
    assert too_long.status_code == 422 and "不能超过" in too_long.text and "保留的部署" in too_long.text
    with session_factory() as session:
        [document] = session.scalars(select(BulletinDocument)).all()
        assert (document.status, document.number, document.document) == ("draft", None, None)
        assert admin.get(f"{draft}.docx").status_code == 409


def test_only_the_owning_office_admin_drafts_and_issues(browser, client, session_factory, scripted):
    world, plan_id, _ = scripted
    unit = browser("ip_user")
    assert unit.get(f"/bulletins/{plan_id}").status_code == 403
    created = client.post("/api/v1/bulletin-documents", headers=world.headers("ip_user"), json={"plan_id": plan_id})
    assert created.status_code == 403
    assert client.post("/api/v1/bulletin-documents", headers=world.headers("city_leader"),
                       json={"plan_id": plan_id}).status_code == 403
    draft = client.post("/api/v1/bulletin-documents", headers=world.headers("city_admin"),
                        json={"plan_id": plan_id, "month": "2026-11"})
    assert draft.status_code == 201, draft.text
    document_id = draft.json()["id"]
    for user in ("ip_user", "city_leader", "district_admin", "other_admin"):
        answer = client.post(f"/api/v1/bulletin-documents/{document_id}/issue", headers=world.headers(user))
        assert answer.status_code in (403, 404), (user, answer.text)
        assert client.patch(f"/api/v1/bulletin-documents/{document_id}", headers=world.headers(user),
                            json={"narrative": "x"}).status_code in (403, 404)
    issued = client.post(f"/api/v1/bulletin-documents/{document_id}/issue", headers=world.headers("city_admin"))
    assert issued.status_code == 200 and (issued.json()["year"], issued.json()["number"]) == (2026, 1)
    again = client.post(f"/api/v1/bulletin-documents/{document_id}/issue", headers=world.headers("city_admin"))
    assert again.status_code == 409
    assert client.get(f"/api/v1/bulletin-documents/{document_id}.docx", headers=world.headers("ip_user")).status_code == 404
    assert client.get(f"/api/v1/bulletin-documents/{document_id}.docx", headers=world.headers("other_admin")).status_code == 404
    # The parent office reads its own; the district's are not the city's to issue.
    assert client.get(f"/api/v1/bulletin-documents/{document_id}.docx", headers=world.headers("city_admin")).status_code == 200


def test_concurrent_issues_take_consecutive_numbers_and_a_new_year_starts_at_one(session_factory, scripted):
    world, plan_id, _ = scripted
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    with session_factory() as session:
        actor = world.actor(session, "city_admin")
        ids = [service.create_draft(session, actor, plan_id, m, today=TODAY, tz=world_tz(), now=NOW).id for m in months]
        session.commit()
    barrier, errors = threading.Barrier(len(ids)), []

    def issue(document_id):
        try:
            barrier.wait()  # before the session: SQLite's transactions begin IMMEDIATE, holding the write lock
            with session_factory() as session:
                actor = world.actor(session, "city_admin")
                service.issue(session, actor, document_id, today=TODAY, tz=world_tz(), now=NOW)
                session.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with session_factory() as session:
        numbers = sorted(session.scalars(select(BulletinDocument.number).where(BulletinDocument.status == ISSUED)))
        assert numbers == [1, 2, 3, 4, 5]
        actor = world.actor(session, "city_admin")
        next_year = TODAY.replace(year=2027, month=1, day=4)
        draft = service.create_draft(session, actor, plan_id, "2026-12", today=next_year, tz=world_tz(), now=NOW + timedelta(days=63))
        issued = service.issue(session, actor, draft.id, today=next_year, tz=world_tz(), now=NOW + timedelta(days=63))
        assert (issued.year, issued.number) == (2027, 1)
        with pytest.raises(Conflict):
            service.issue(session, actor, draft.id, today=next_year, tz=world_tz(), now=NOW)
        with pytest.raises(Forbidden):
            service.create_draft(session, world.actor(session, "city_leader"), plan_id, "2026-11", today=TODAY,
                                 tz=world_tz(), now=NOW)


def test_the_xlsx_keeps_its_sheets_adds_the_indicators_and_is_named_after_the_plan(browser, scripted):
    world, plan_id, _ = scripted
    answer = browser("city_admin").get(f"/bulletins/{plan_id}.xlsx?month=2026-11")
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert "filename*=UTF-8''" + quote("市知识产权局测试行动计划-督办通报2026年11月.xlsx") in disposition
    assert 'filename="download.xlsx"' in disposition
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["单位排名", "逾期事项", "指标完成情况"]
    assert [c.value for c in book["指标完成情况"][2]][:5] == ["发明专利授权", "不低于 100件", "40件", "2026年10月31日", "40%"]
    assert book["逾期事项"].max_row == 2 and book["单位排名"]["B5"].value == "市知识产权局"


def world_tz():
    return ZoneInfo("Asia/Shanghai")
