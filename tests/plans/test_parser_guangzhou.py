"""Seed 003 (Guangzhou, traditional characters): the model case.

Expectations were written from the document text, measure by measure.
"""

import opencc
import pytest

from service.plans.parser import parse_plan_file, parse_plan_text

from .conftest import seed_path

SECTIONS = {
    "實施知識產權管理能力提升工程": ["1", "2", "3", "4"],
    "實施知識產權保護工程": ["5", "6", "7", "8"],
    "實施知識產權運用促進工程": ["9", "10", "11"],
    "實施知識產權質量提升工程": ["12", "13", "14"],
    "實施知識產權發展環境建設工程": ["15", "16", "17"],
}

# (task number or None for 保障措施, fragment at the start of the measure, lead, support)
IPO = "市知识产权局"
DISTRICTS = "各区政府"
MEASURES = [
    ("1", "按照國家和省有關文件精神", [IPO, "市编办"], ["市委改革办", "市发展改革委", "市工商局", "市版权局"]),
    ("1", "加快推進中新廣州知識城", ["广州开发区管委会"], []),
    ("1", "加強各區知識產權管理機構建設", [IPO], [DISTRICTS]),
    ("1", "貫徹落實《廣州市加強知識產權運用", [IPO], ["市发展改革委", "市工业和信息化委", "市科技创新委", "市财政局", "市商务委", "市国资委", "市工商局", "市版权局"]),
    ("2", "開展國家知識產權區域布局試點工作", [IPO], ["市发展改革委", "市工业和信息化委", "市科技创新委", "市财政局", "市统计局", "广州开发区管委会", "越秀区政府"]),
    ("3", "建立知識產權對接各種交易", [IPO], ["市发展改革委", "市科技创新委", "市科协", DISTRICTS]),
    ("3", "支持科技園區、孵化器", ["市科技创新委"], [IPO, "市金融局"]),
    ("4", "支持現代服務業發展", ["市发展改革委"], [IPO]),
    ("4", "全面推進“互聯網+知識產權”", [IPO], ["市工业和信息化委"]),
    ("4", "開發建設和完善一批廣州重點產業專利數據庫", [IPO], ["市发展改革委", "市工业和信息化委", "市科技创新委"]),
    ("4", "在廣州開發區創建國家知識產權服務業集聚發展試驗區", ["广州开发区管委会", "越秀区政府", "天河区政府"], [IPO]),
    ("4", "充分發揮商標公共服務平臺作用", ["市工商局"], [DISTRICTS]),
    ("4", "構建集商標注冊", ["越秀区政府"], ["市工商局", IPO, "市版权局"]),
    ("4", "加強版權示范城市建設工作", ["市版权局"], [DISTRICTS]),
    ("5", "建立高效的市、區知識產權行政執法體系", [IPO, "市编办"], ["市公安局", "市工商局", "市版权局"]),
    ("5", "發揮最高人民法院知識產權司法保護", ["广州知识产权法院"], [IPO, "越秀区政府"]),
    ("5", "加強知識產權仲裁院與相關", ["广州知识产权仲裁院", IPO], []),
    ("5", "支持龍頭企業牽頭組建", [IPO], []),
    ("5", "加強海外知識產權維權援助", ["市商务委", IPO], ["市外办", "市工商局", "市版权局"]),
    ("5", "在市知識產權信息中心的基礎上", [IPO, "花都区政府", "南沙区政府"], []),
    ("5", "配合國家和廣東省知識產權局", [IPO, "广州开发区管委会"], []),
    ("5", "進一步完善以“兩書五制”", ["市工商局"], [DISTRICTS]),
    ("5", "加強市貿促會、工商聯會員企業", ["市贸促会", "市工商联"], []),
    ("6", "進一步構建知識產權多元化保護機制", ["广州知识产权法院", "市法院", IPO], ["广州海关", "黄埔海关"]),
    ("6", "加強知識產權糾紛行政調解", ["市委政法委"], ["广州知识产权法院", "市法院", "市司法局", IPO, "广州海关", "黄埔海关"]),
    ("6", "倡導運用仲裁方式保護知識產權", ["广州知识产权仲裁院", "南沙区政府"], [IPO]),
    ("7", "加強事中事后監管和信用監管", ["市工商局"], []),
    ("7", "推進知識產權公共信用體系建設", [IPO], ["市工业和信息化委", "市工商局", "市版权局", DISTRICTS]),
    ("8", "加強重點產業和重點市場知識產權保護", [IPO], [DISTRICTS]),
    ("8", "加強知識產權保護規范化市場培育", [IPO], []),
    ("8", "加大知識產權邊境保護力度", ["广州海关", "黄埔海关"], [IPO, "市工商局", "市版权局"]),
    ("9", "大力推進廣州開發區國家專利導航", [IPO, "广州开发区管委会"], []),
    ("10", "積極開展國家重點產業知識產權運營服務試點", [IPO], [DISTRICTS]),
    ("10", "加大專利技術產業化扶持力度", [IPO], ["市发展改革委", "市工业和信息化委", "市科技创新委"]),
    ("10", "推進國家商標品牌創新創業(廣州)基地", ["市工商局"], [DISTRICTS]),
    ("11", "探索建立市場化的知識產權投融資服務體系", ["市金融局"], ["市科技创新委", IPO]),
    ("11", "發揮知識產權質押融資風險補償基金作用", [IPO], ["市金融局"]),
    ("11", "在廣州開發區和增城開發區", ["广州开发区管委会", "增城开发区管委会"], []),
    ("12", "優化專利資助政策", [IPO], ["市科技创新委", DISTRICTS]),
    ("12", "推動全市實現創新驅動發展", ["市科技创新委", "市国资委"], []),
    ("12", "加大全市社會研發投入強度", ["市科技创新委"], [IPO, DISTRICTS]),
    ("12", "貫徹落實《中國制造2025》", ["市工业和信息化委"], []),
    ("13", "支持企事業單位貫徹實施知識產權管理規范", [IPO], ["市科技创新委", "市国资委", DISTRICTS]),
    ("14", "支持新一代信息技術", [IPO], ["市发展改革委", "市工业和信息化委"]),
    ("14", "加強制造業、文化產業、農業商標品牌建設", ["市工商局"], ["市工业和信息化委", "市农业局"]),
    ("14", "鼓勵企事業單位加強專利與標準的融合", ["市质监局"], [IPO, "市商务委"]),
    ("15", "開展知識產權專業技術資格評審", ["市人力资源和社会保障局", IPO], []),
    ("15", "支持高校加強知識產權學科建設", ["市教育局"], ["市人力资源和社会保障局"]),
    ("15", "加強黨政領導干部知識產權培訓", ["市委组织部"], ["市委宣传部", "市委党校", "市教育局", "市人力资源和社会保障局"]),
    ("15", "支持暨南大學建設廣州知識產權人才基地", [IPO], ["市教育局", "广州开发区管委会"]),
    ("16", "創新知識產權文化載體", [IPO], ["市教育局", "市科技创新委", "广州开发区管委会"]),
    ("16", "開展“青創杯”青年創新創業大賽", ["团市委", "市总工会"], []),
    ("16", "加大知識產權前瞻性研究", ["市社科院"], []),
    ("16", "將知識產權知識納入科普活動", ["市科协"], []),
    ("16", "開展婦女、兒童知識產權知識普及教育工作", ["市妇联"], []),
    ("17", "深化與泛珠三角區域城市", [IPO], []),
    ("17", "建立跨區域商標權保護協作", ["市工商局"], []),
    ("17", "加強對臺商、僑商和跨區域企業", ["市台办", "市侨办", "市协作办"], [IPO]),
    (None, "市知識產權工作領導小組統籌領導", [IPO], ["市知识产权工作领导小组成员单位"]),
    (None, "安排工作經費用于支持", ["市财政局"], []),
    (None, "加強對創建國家知識產權強市工作的統計", [IPO, "市统计局"], []),
]


def measure_rows(plan: dict) -> list[tuple]:
    rows = [(t["number"], m["text"], m["lead"], m["support"]) for t in plan["tasks"] for m in t["measures"]]
    return rows + [(None, m["text"], m["lead"], m["support"]) for m in plan["measures_outside_tasks"]]


def assert_guangzhou(plan: dict, fragment=lambda text: text) -> None:
    assert [t["number"] for t in plan["tasks"]] == [str(n) for n in range(1, 18)]
    sections = {}
    for task in plan["tasks"]:
        sections.setdefault(task["section"], []).append(task["number"])
    assert sections == {fragment(name): numbers for name, numbers in SECTIONS.items()}
    assert [p["deadline"] for p in plan["phases"]] == ["2017-06-30", "2017-12-31", "2018-12-31", "2020-06-30"]
    assert sum(len(t["measures"]) for t in plan["tasks"]) == 58
    assert len(plan["measures_outside_tasks"]) == 3
    actual = measure_rows(plan)
    assert len(actual) == len(MEASURES) == 61
    for (number, text, lead, support), (want_number, start, want_lead, want_support) in zip(actual, MEASURES):
        assert (number, lead, support) == (want_number, want_lead, want_support), start
        assert text.startswith(fragment(start)), (text[:20], start)


@pytest.fixture(scope="module")
def plan(guangzhou_text) -> dict:
    return parse_plan_text(guangzhou_text).to_dict()


def test_all_61_measures_with_their_lead_and_support(plan):
    assert_guangzhou(plan)


def test_title_doc_number_and_phases(plan):
    assert plan["title"] == "廣州市創建國家知識產權強市行動計劃(2017—2020年)"
    assert plan["doc_number"] == "穗府〔2018〕2號"
    assert [p["name"] for p in plan["phases"]] == ["前期準備階段", "制度完善階段", "項目推進階段", "實施完成階段"]


def test_task_titles_and_measure_text_keep_the_original_characters(plan):
    first = plan["tasks"][0]
    assert first["title"] == "推進知識產權管理體制機制改革"
    assert first["mandatory"] is None  # the plan does not say 必做/选做
    assert first["measures"][0]["text"] == (
        "按照國家和省有關文件精神,探索推進知識產權綜合管理改革,"
        "建立權界清晰、分工合理、權責一致、運轉高效的綜合行政管理機制"
    )


def test_parentheses_that_are_not_annotations_stay_in_the_text(plan):
    texts = [m[1] for m in measure_rows(plan)]
    assert any("與市場價值(廣東)基地" in t for t in texts)
    assert any("衛星通信(北斗)導航" in t for t in texts)
    assert any("領導小組辦公室(設在市知識產權局)為執行機構" in t for t in texts)


def test_no_annotation_warnings_and_single_mentions_are_reported(plan):
    codes = {w["code"] for w in plan["warnings"]}
    assert "no_annotation" not in codes
    once = {w["message"] for w in plan["warnings"] if w["code"] == "single_mention"}
    assert any("市妇联" in message for message in once)
    assert not any("“市知识产权局”" in message for message in once)


def test_same_result_from_gb18030_bytes(guangzhou_text, plan):
    assert parse_plan_file(guangzhou_text.encode("gb18030"), "plan.txt").to_dict() == plan


@pytest.mark.parametrize("encoding", ["big5", "utf-8-sig", "utf-8"])
def test_same_result_from_other_encodings(guangzhou_text, plan, encoding):
    assert parse_plan_file(guangzhou_text.encode(encoding), "plan.md").to_dict() == plan


def test_same_result_in_simplified_characters(guangzhou_text):
    convert = opencc.OpenCC("t2s").convert
    plan = parse_plan_text(convert(guangzhou_text)).to_dict()
    assert_guangzhou(plan, convert)
    assert plan["tasks"][0]["title"] == "推进知识产权管理体制机制改革"
    assert plan["doc_number"] == "穗府〔2018〕2号"


def test_same_result_with_full_width_punctuation(guangzhou_text, plan):
    table = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})
    wide = parse_plan_text(guangzhou_text.translate(table)).to_dict()
    assert_guangzhou(wide, lambda text: text.translate(table))
    assert [(m[0], m[2], m[3]) for m in measure_rows(wide)] == [(m[0], m[2], m[3]) for m in measure_rows(plan)]


def test_seed_file_parses_from_disk():
    data = seed_path("003").read_bytes()
    assert len(parse_plan_file(data, "003.txt").tasks) == 17
