"""The 上级交办 page (a child office's admins sign and decompose what was issued to them, and
report up on the 督办件's page) and the parent's 下发情况 page, in Chinese only."""

import re

from tests.web.conftest import client_factory, clock, web_settings  # noqa: F401 (fixtures)
from tests.web.test_chinese_pages import _Visible, problems


def _visible(page: str, username: str) -> str:
    """The page's visible text but the signed-in user's login name (data, in the header)."""
    parser = _Visible()
    parser.feed(page)
    return " ".join(parser.text).replace(username, "")


def test_the_child_signs_decomposes_and_reports_up_and_the_parent_sees_each_child(chain, client_factory):  # noqa: F811
    item = chain.issued["yuexiu_gov"][0]
    district = client_factory().login("district_admin")
    page = district.get("/issued")
    assert page.status_code == 200 and problems(_visible(page.text, "district_admin"), set()) == []
    assert "广州市知识产权工作领导小组办公室" in page.text and "措施1。" in page.text and "未签收" in page.text
    assert f'action="/issued/{item}/sign"' in page.text and f"/issued/{chain.issued['tianhe_gov'][0]}" not in page.text
    signed = district.submit(f"/issued/{item}/sign", page="/issued", follow_redirects=False)
    assert signed.status_code == 303
    assert f'action="/issued/{item}/sign"' not in district.get("/issued").text

    form = {"plan_title": "越秀区落实方案", "text": "区知识产权局牵头落实。", "deadline": "2027-03-31",
            "lead": str(chain.departments["yuexiu_ip"].id)}
    untitled = district.submit(f"/issued/{item}/decompose", form | {"plan_title": " "}, page="/issued")
    assert untitled.status_code == 422 and "请填写新计划的标题" in untitled.text
    late = district.submit(f"/issued/{item}/decompose", form, page="/issued")
    assert late.status_code == 422 and "请说明理由" in late.text and "区知识产权局牵头落实。" in late.text
    made = district.submit(f"/issued/{item}/decompose", form | {"late_reason": "需待区财政预算批复"}, page="/issued",
                           follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/plans/")
    listed = district.get("/issued").text
    assert "越秀区落实方案" in listed and "需待区财政预算批复" in listed
    # The reason stays editable on the draft's measure.
    plan_id, measure_id = re.match(r"/plans/(\d+)#measure-(\d+)", made.headers["location"]).groups()
    draft = district.get(f"/plans/import?plan={plan_id}")
    assert draft.status_code == 200 and 'name="late_reason"' in draft.text
    edited = district.submit(f"/plans/{plan_id}/measures/{measure_id}", {
        "text": "区知识产权局牵头落实。", "deadline": "2027-03-31", "lead": "越秀区知识产权局", "support": "",
        "late_reason": "需待区财政预算批复后实施"}, page=f"/plans/import?plan={plan_id}", follow_redirects=False)
    assert edited.status_code == 303
    assert "需待区财政预算批复后实施" in district.get("/issued").text

    # Reporting up on the 督办件's page, as the district's unit in the city's plan.
    work = district.get(f"/assignments/{item}")
    assert work.status_code == 200 and 'action="/assignments/' in work.text and "报送进展" in work.text
    assert f'href="/plans/{chain.plans["issued"]}' not in work.text and "越秀区政府" in work.text
    reported = district.submit(f"/assignments/{item}/progress", {"text": "已分解落实。", "percent": "40"},
                               page=f"/assignments/{item}", follow_redirects=False)
    assert reported.status_code == 303
    milestone = chain.milestones[item][0]
    checkpoint = district.get(f"/milestones/{milestone}")
    assert checkpoint.status_code == 200 and "办结申请" in checkpoint.text and "chip-lead" not in checkpoint.text

    city = client_factory().login("city_admin")
    rows = city.get(f"/measures/{chain.measures[0]}/issued")
    assert rows.status_code == 200 and problems(_visible(rows.text, "city_admin"), set()) == []
    yuexiu, tianhe = re.findall(r'<tr data-office="([^"]+)">(.*?)</tr>', rows.text, re.DOTALL)
    assert yuexiu[0].startswith("越秀区") and "已分解 1 项" in yuexiu[1] and "40%" in yuexiu[1]
    assert "需待区财政预算批复" in yuexiu[1]
    assert tianhe[0].startswith("天河区") and "未签收" in tianhe[1] and "未分解" in tianhe[1]
    assert f'href="/measures/{chain.measures[0]}/issued"' in city.get(f"/assignments/{item}").text
    assert "暂无上级交办事项" in city.get("/issued").text
    plan = chain.plans["issued"]
    assert f'href="/plans/{plan}/issued"' in city.get(f"/plans/{plan}").text
    assert "/issued" not in city.get(f"/plans/{chain.plans['city']}").text.split("<main", 1)[1]
    shares = city.get(f"/plans/{plan}/issued")
    assert shares.status_code == 200 and problems(_visible(shares.text, "city_admin"), set()) == []
    cells = dict(re.findall(r'<tr data-office="([^"]+)">(.*?)</tr>', shares.text, re.DOTALL))
    assert [re.findall(r">(\d+)<", cells[name]) for name in cells] == [["2", "1", "1", "0", "0"], ["2", "0", "0", "0", "0"]]
    assert district.get(f"/plans/{plan}/issued").status_code == 404
    assert district.get(f"/measures/{chain.measures[0]}/issued").status_code == 404
    sibling = client_factory().login("sibling_admin")
    assert sibling.get(f"/assignments/{item}").status_code == 404
    assert sibling.submit(f"/issued/{item}/sign", page="/issued").status_code == 404


def test_the_directory_page_maps_a_group_and_a_unit_to_child_offices(chain, client_factory, session):  # noqa: F811
    from service.departments.service import group_member_ids

    city = client_factory().login("city_admin")
    group = chain.departments["districts"].id
    page = city.get(f"/departments/{group}")
    assert page.status_code == 200 and "代表下级办公室" in page.text
    district, sibling = chain.offices["district"].id, chain.offices["sibling"].id
    assert f'value="{district}" checked' in page.text and f'value="{sibling}" checked' in page.text
    assert "北京街道" not in page.text  # a grandchild is not the city's to map
    saved = city.submit(f"/departments/{group}/offices", {"office": [str(district)]}, page=f"/departments/{group}",
                        follow_redirects=False)
    assert saved.status_code == 303
    assert group_member_ids(session, group) == [chain.departments["yuexiu_gov"].id]
    session.rollback()  # a new snapshot for the next read
    unit = chain.departments["tianhe_gov"].id
    cleared = city.submit(f"/departments/{unit}/offices", {"office": [""]}, page=f"/departments/{unit}",
                          follow_redirects=False)
    assert cleared.status_code == 303
    assert session.get(type(chain.departments["tianhe_gov"]), unit).represents_office_id is None
    refused = city.submit(f"/departments/{unit}/offices", {"office": [str(district)]}, page=f"/departments/{unit}")
    assert "已由单位“越秀区政府”代表" in refused.text
    district_web = client_factory().login("district_admin")
    assert district_web.get(f"/departments/{group}").status_code == 404
