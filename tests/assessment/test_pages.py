"""The 考核 pages (in Chinese only) over the scripted year: a scheme typed in the form, scores computed,
a 加分 entered, published after confirmation; the .docx and .xlsx carry the page's numbers;
a unit sees its own score only; another office sees nothing."""

import io
import re

from docx import Document
from openpyxl import load_workbook

from tests.assessment.conftest import year_scheme
from tests.web.test_chinese_pages import _Visible, problems

UNITS = ("市知识产权局", "市发展改革委")


def scheme_form(plan_id: int, **changes) -> dict:
    values = year_scheme(plan_id)
    form = {"name": values["name"], "year": "2026", "plan_id": str(plan_id), "total": "100"}
    for kind in ("signing", "reporting", "checkpoints", "overdue", "returns", "mandatory", "indicators",
                 "extensions", "bonus", "penalty"):
        form[f"weight_{kind}"] = "0"
    for item in values["items"]:
        form[f"weight_{item['kind']}"] = item["weight"]
        for name, value in item["params"].items():
            form[f"param_{item['kind']}_{name}"] = value
    for n, (grade, minimum) in enumerate((("优秀", "90"), ("良好", "80"), ("合格", "60"), ("不合格", "0")), start=1):
        form[f"grade_name_{n}"], form[f"grade_min_{n}"] = grade, minimum
    return form | changes


def page_totals(html: str) -> dict[str, str]:
    """Unit -> total as the ranking table shows it."""
    return dict(re.findall(r'data-unit="([^"]+)">.*?<td data-label="总分" class="total">([^<]+)</td>', html, re.S))


def page_points(html: str, department_id: int) -> dict[str, str]:
    block = html.split(f'id="unit-{department_id}"')[1].split("</details>")[0]
    return dict(re.findall(r'data-item="([^"]+)">.*?class="points">([^<]+)</td>', block, re.S))


def test_scheme_compute_enter_publish_and_documents(client_factory, world, year):
    web = client_factory().login("city_admin")
    refused = web.submit("/assessment/schemes", scheme_form(year.plan_id, weight_signing="11"),
                         page="/assessment/schemes/new")
    assert refused.status_code == 422 and "各考核项分值之和为101，须等于总分100" in refused.text
    assert 'name="weight_signing" inputmode="decimal" size="5" value="11"' in refused.text
    foreign = web.submit("/assessment/schemes", scheme_form("99999999999"), page="/assessment/schemes/new")
    assert foreign.status_code == 422 and "所选计划不存在" in foreign.text
    saved = web.submit("/assessment/schemes", scheme_form(year.plan_id), page="/assessment/schemes/new",
                       follow_redirects=False)
    assert saved.status_code == 303
    scheme_id = saved.headers["location"].rsplit("/", 1)[1]

    computed = web.submit("/assessment/results", {"scheme_id": scheme_id, "period_start": "2026-01-01",
                                                  "period_end": "2026-12-31"}, page="/assessment",
                          follow_redirects=False)
    assert computed.status_code == 303
    result_path = computed.headers["location"]
    result_id = result_path.rsplit("/", 1)[1]
    page = web.get(result_path).text
    assert page_totals(page) == {"市知识产权局": "62.25", "市发展改革委": "80"}
    assert "等次分布：优秀 0 个，良好 1 个，合格 1 个，不合格 0 个" in page
    ip_id, dev_id = world.departments["ip"].id, world.departments["dev"].id
    assert page_points(page, ip_id)["按时报送进展"] == "11.25"
    assert "措施丙：签收时限2026年3月4日，2026年3月9日签收，迟3个工作日" in page

    for bad in ({"department_id": "99999999999"}, {"department_id": "甲"}, {"amount": "很多"}, {"item_key": "signing"}):
        refused = web.submit(f"{result_path}/entries", {"department_id": str(ip_id), "item_key": "bonus", "amount": "1",
                                                        "reason": "试"} | bad, page=result_path)
        assert refused.status_code == 200 and "flash-error" in refused.text, bad
    entered = web.submit(f"{result_path}/entries", {"department_id": str(ip_id), "item_key": "bonus", "amount": "3",
                                                    "reason": "获国家知识产权示范城市表彰", "evidence": "国知发〔2026〕9号"},
                         page=result_path)
    assert "已录入" in entered.text and page_totals(entered.text)["市知识产权局"] == "65.25"

    unconfirmed = web.submit(f"{result_path}/publish", {}, page=result_path)
    assert "请勾选确认后再发布" in unconfirmed.text and "发布考核结果" in unconfirmed.text
    published = web.submit(f"{result_path}/publish", {"confirm": "1"}, page=result_path)
    assert "已发布考核结果" in published.text and "更正后得分" in published.text
    page = published.text
    totals = page_totals(page)

    document = Document(io.BytesIO(web.get(f"{result_path}.docx").content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert document.paragraphs[0].text == "关于2026年度知识产权工作考核结果（2026年1月1日至2026年12月31日）的通报"
    assert "一、考核得分及等次" in headings and "市知识产权局：65.25分，合格" in headings
    ranking = document.tables[0]
    assert [[c.text for c in row.cells] for row in ranking.rows][1:] == [
        ["1", "市发展改革委", totals["市发展改革委"], "良好"], ["2", "市知识产权局", totals["市知识产权局"], "合格"]]
    for table, department_id in zip(document.tables[1:], (dev_id, ip_id)):
        assert {row.cells[0].text: row.cells[2].text for row in table.rows[1:]} == page_points(page, department_id)
    assert any("迟3个工作日" in row.cells[3].text for row in document.tables[2].rows)

    book = load_workbook(io.BytesIO(web.get(f"{result_path}.xlsx").content))
    rows = list(book["考核得分"].iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[2], r[3]) for r in rows] == [("市发展改革委", 80, "良好"), ("市知识产权局", 65.25, "合格")]
    assert len(rows[0]) == 4 + 10  # rank, unit, total, grade and every item

    # The unit sees its own score and explanation only (the ranking was not published).
    unit = client_factory().login("ip_user")
    own = unit.get(result_path)
    assert own.status_code == 200 and "65.25" in own.text and "市发展改革委" not in own.text
    assert 'id="ranking"' not in own.text and "更正后得分" not in own.text
    unit_doc = Document(io.BytesIO(unit.get(f"{result_path}.docx").content))
    assert "市发展改革委" not in "\n".join(p.text for p in unit_doc.paragraphs)
    assert len(unit_doc.tables) == 1
    unit_book = load_workbook(io.BytesIO(unit.get(f"{result_path}.xlsx").content))
    assert [r[1] for r in unit_book["考核得分"].iter_rows(min_row=3, values_only=True)] == ["市知识产权局"]
    for path, data in ((f"{result_path}/corrections", {"department_id": str(ip_id), "item_key": "bonus",
                                                       "points": "5", "reason": "自改", "confirm": "1"}),
                       (f"{result_path}/entries", {"department_id": str(ip_id), "item_key": "bonus", "amount": "5",
                                                   "reason": "自改"}),
                       (f"{result_path}/publish", {"confirm": "1"}),
                       (f"/assessment/schemes/{scheme_id}", scheme_form(year.plan_id, name="自改")),
                       ("/assessment/schemes", scheme_form(year.plan_id))):
        assert unit.submit(path, data, page="/assessment").status_code == 403, path
    assert "65.25" in unit.get(result_path).text

    # Another office sees nothing of it.
    other = client_factory().login("other_admin")
    for path in (result_path, f"{result_path}.docx", f"{result_path}.xlsx", f"/assessment/schemes/{scheme_id}"):
        assert other.get(path).status_code == 404, path
    assert other.submit(f"{result_path}/corrections", {"department_id": str(ip_id), "item_key": "bonus",
                                                       "points": "5", "reason": "x", "confirm": "1"},
                        page="/assessment").status_code == 404
    assert "2026年度知识产权工作考核" not in other.get("/assessment").text

    # A correction on the published result, recorded on the page.
    corrected = web.submit(f"{result_path}/corrections", {"department_id": str(dev_id), "item_key": "signing",
                                                         "points": "9", "reason": "签收记录核实有误", "confirm": "1"},
                           page=result_path)
    assert "已更正并记录" in corrected.text and page_totals(corrected.text)["市发展改革委"] == "79"
    assert "按时签收率由10分更正为9分，总分由80分更正为79分（良好→合格）。理由：签收记录核实有误" in corrected.text
    assert result_id in result_path

    # Every 考核 page speaks Chinese, as the office and as the unit.
    audit = web.get("/audit").text
    assert "更正考核结果" in audit and "录入考核加分扣分" in audit and f'href="{result_path}"' in audit
    for client, paths in ((web, ["/assessment", result_path, f"/assessment/schemes/{scheme_id}",
                                 "/assessment/schemes/new", "/audit"]), (unit, ["/assessment", result_path])):
        for path in paths:
            parser = _Visible()
            parser.feed(client.get(path).text)
            # Login names are data (the header, the audit's filter); the test's have underscores.
            text = re.sub("|".join(world.users), "", " ".join(parser.text))
            assert problems(text, set()) == [], path


def test_a_published_ranking_shows_units_the_totals_not_the_details(client_factory, world, year):
    web = client_factory().login("city_admin")
    saved = web.submit("/assessment/schemes", scheme_form(year.plan_id), page="/assessment/schemes/new",
                       follow_redirects=False)
    scheme_id = saved.headers["location"].rsplit("/", 1)[1]
    result_path = web.submit("/assessment/results", {"scheme_id": scheme_id, "period_start": "2026-01-01",
                                                     "period_end": "2026-12-31"}, page="/assessment",
                             follow_redirects=False).headers["location"]
    unit = client_factory().login("dev_user")
    assert unit.get(result_path).status_code == 404  # not published yet
    web.submit(f"{result_path}/publish", {"confirm": "1", "ranking_public": "1"}, page=result_path)
    page = unit.get(result_path).text
    assert page_totals(page) == {"市发展改革委": "80", "市知识产权局": "62.25"}
    assert f'id="unit-{world.departments["ip"].id}"' not in page and "措施丙" not in page
    assert f'id="unit-{world.departments["dev"].id}"' in page
