"""Indicators read from real fragments of the seeds, with the values a person
reads in them; and the whole 建设目标 of the Guangzhou plan."""

import pytest

from service.plans.parser import parse_plan_file, parse_plan_text
from service.plans.parser.indicators import extract_indicators
from service.plans.parser.outline import read_line
from service.plans.spreadsheet import write_task_table
from tests.plans.conftest import seed_path

GROWTH, AT_LEAST, AT_MOST, EQUAL = "growth_rate_at_least", "at_least", "at_most", "equal"

# (fragment as the seed writes it, [(name, value, unit, comparison, target_date)])
FRAGMENTS = [
    # 003 Guangzhou, under (三)建設目標 whose horizon is 到2020年底
    ("到2020年底,全市通過知識產權管理規范國家標準認證的單位達到1600家以上;",
     [("全市通过知识产权管理规范国家标准认证的单位", 1600, "家", AT_LEAST, "2020-12-31")]),
    ("到2020年底,發明專利申請量年均增長18%以上,專利質押融資金額年均增長20%以上。",
     [("发明专利申请量", 18, "%", GROWTH, "2020-12-31"), ("专利质押融资金额", 20, "%", GROWTH, "2020-12-31")]),
    ("支持3家以上知識產權運營服務機構做大做強,年專利交易額達到10億元以上。",
     [("支持知识产权运营服务机构做大做强", 3, "家", AT_LEAST, None), ("年专利交易额", 10, "亿元", AT_LEAST, None)]),
    ("全市專利申請代理率達到70%以上,知識產權服務從業人員達到4000人以上。",
     [("全市专利申请代理率", 70, "%", AT_LEAST, None), ("知识产权服务从业人员", 4000, "人", AT_LEAST, None)]),
    ("重大經濟和科技項目知識產權評議率達到80%(市知識產權局牽頭,市發展改革委配合)。",
     [("重大经济和科技项目知识产权评议率", 80, "%", AT_LEAST, None)]),
    # 002 Xiaogan: "2025年," dates the bare figures that follow it
    ("2025年,年度专利授权达到700件,发明专利授权55件,PCT国际申请15件;有效发明专利达320件。",
     [("年度专利授权", 700, "件", AT_LEAST, "2025-12-31"), ("发明专利授权", 55, "件", AT_LEAST, "2025-12-31"),
      ("PCT国际申请", 15, "件", AT_LEAST, "2025-12-31"), ("有效发明专利", 320, "件", AT_LEAST, "2025-12-31")]),
    ("到2025年,每万人口有效发明专利、高价值发明专利拥有量分别达到6.8件、3.2件。",
     [("每万人口有效发明专利拥有量", 6.8, "件", AT_LEAST, "2025-12-31"),
      ("高价值发明专利拥有量", 3.2, "件", AT_LEAST, "2025-12-31")]),
    ("有效注册商标突破7500件;专利密集型产业增加值占GDP比重提升至13%以上。",
     [("有效注册商标", 7500, "件", AT_LEAST, None), ("专利密集型产业增加值占GDP比重", 13, "%", AT_LEAST, None)]),
    ("知识产权转让、许可数量年均增幅20%以上。",
     [("知识产权转让、许可数量", 20, "%", GROWTH, None)]),
    # 000 national plan: a year of assessment and a growth over the year before
    ("2015年度专利权质押融资金额较上一年度增长20%以上,投保专利保险企业数量较上一年度增长30%以上。",
     [("专利权质押融资金额", 20, "%", GROWTH, "2015-12-31"), ("投保专利保险企业数量", 30, "%", GROWTH, "2015-12-31")]),
    # 001 Pudong: 截至 sets the horizon, 万 stays in the unit
    ("截至2019年,每万人口发明专利拥有量达到48件,软件著作权新增登记量达到1.8万件。",
     [("每万人口发明专利拥有量", 48, "件", AT_LEAST, "2019-12-31"), ("软件著作权新增登记量", 1.8, "万件", AT_LEAST, "2019-12-31")]),
    # 004 Hunan key points
    ("建设一支素质高、业务精、作风过硬的市州专利行政执法队伍,市州骨干执法人员不少于30人,县市区执法人员不少于500人。",
     [("市州骨干执法人员", 30, "人", AT_LEAST, None), ("县市区执法人员", 500, "人", AT_LEAST, None)]),
    # made up: 力争 makes a bare figure a target; the rarer forms of a bound
    ("力争专利申请量5万件,万元GDP能耗控制在0.5吨以内,结案率保持在90%。",
     [("专利申请量", 5, "万件", AT_LEAST, None), ("万元GDP能耗", 0.5, "吨", AT_MOST, None), ("结案率", 90, "%", EQUAL, None)]),
    # reported actuals are not targets
    ("专利申请54501件,同比增长23.32%;专利授权34075件。", []),
    ("2014年有668件重点发明专利实施,实施率达到91.02%。", []),
    ("全省代理量在1000件以上的代理机构6家,新增3家。", []),
    ("每个示范城市达到“5+n”的体系建设目标。", []),
]


def _rows(text: str) -> list[tuple]:
    return [
        (i.name, i.target_value, i.unit, i.comparison, i.target_date)
        for i in extract_indicators([read_line(text)])
    ]


@pytest.mark.parametrize(("fragment", "expected"), FRAGMENTS, ids=[f[0][:14] for f in FRAGMENTS])
def test_fragment(fragment, expected):
    assert _rows(fragment) == expected


def test_text_keeps_the_original_fragment_without_the_annotation():
    [indicator] = extract_indicators([read_line(FRAGMENTS[4][0])])
    assert indicator.text == "重大經濟和科技項目知識產權評議率達到80%"


def test_a_target_heading_dates_the_paragraphs_below_it_until_the_next_heading():
    lines = [read_line(t) for t in ("(三)建設目標。", "到2020年底,基本實現目標。", "——發明專利授權100件。",
                                    "(四)其他。", "——發明專利授權200件。")]
    assert [(i.target_value, i.target_date) for i in extract_indicators(lines)] == [(100, "2020-12-31")]


def test_guangzhou_targets():
    plan = parse_plan_file(seed_path("003").read_bytes(), "003.txt").to_dict()
    by_name = {i["name"]: i for i in plan["indicators"]}
    assert len(plan["indicators"]) == 18
    assert by_name["全市通过知识产权管理规范国家标准认证的单位"] == {
        "name": "全市通过知识产权管理规范国家标准认证的单位",
        "target_value": 1600,
        "unit": "家",
        "comparison": AT_LEAST,
        "target_date": "2020-12-31",
        "text": "全市通過知識產權管理規范國家標準認證的單位達到1600家以上",
        # the headline names no unit; task 13, which restates it, is led by 市知识产权局
        "department": "市知识产权局",
    }
    assert (by_name["发明专利申请量"]["target_value"], by_name["发明专利申请量"]["comparison"]) == (18, GROWTH)
    assert (by_name["年专利交易额"]["target_value"], by_name["年专利交易额"]["unit"]) == (10, "亿元")
    assert by_name["知识产权服务从业人员"]["target_value"] == 4000
    # task 13 repeats the 1600 and 50 targets without a date: kept once, dated
    assert [i["target_value"] for i in plan["indicators"]].count(1600) == 1
    assert sum(1 for i in plan["indicators"] if i["target_date"] == "2020-12-31") == 17


def test_guangzhou_targets_take_the_lead_of_the_measure_that_states_them():
    """4 of the 18: one written inside an annotated measure (task 1), three headline
    targets restated in task 13; the rest stand in 建设目标 or in measures without figures."""
    plan = parse_plan_file(seed_path("003").read_bytes(), "003.txt")
    assert {i.name: i.department for i in plan.indicators if i.department} == {
        "重大经济和科技项目知识产权评议率": "市知识产权局",
        "全市通过知识产权管理规范国家标准认证的单位": "市知识产权局",
        "培育市知识产权强企": "市知识产权局",
        "市知识产权示范单位": "市知识产权局",
    }


@pytest.mark.parametrize(
    ("line", "department"),
    [
        ("加强评议，评议率达到80%（市科技局牵头，市财政局配合）。", "市科技局"),
        ("加强评议，评议率达到80%（责任单位：市科技局、市财政局）。", "市科技局"),
        ("加强评议，评议率达到80%（市財政局配合）。", None),
        # the figure belongs to the second measure: the first annotation closes the first
        ("完善制度（市财政局牵头）。提升质量，评议率达到80%（市科技局、財政局牽頭）。", "市科技局"),
        ("完善制度（市财政局牵头）。提升质量，评议率达到80%。", None),
        ("评议率达到80%。", None),
    ],
)
def test_an_indicator_takes_the_first_lead_of_its_measure(line, department):
    [indicator] = extract_indicators([read_line(line)])
    assert indicator.department == department


def test_xiaogan_2025_targets():
    plan = parse_plan_file(seed_path("002").read_bytes(), "002.txt").to_dict()
    assert len(plan["indicators"]) == 18
    assert {i["target_date"] for i in plan["indicators"]} == {"2025-12-31"}
    assert ("年度专利授权", 700) in {(i["name"], i["target_value"]) for i in plan["indicators"]}


def test_summary_before_the_plan_title_is_not_read():
    """004 opens with last year's figures (达到3.29件, 同比增长…); only its key points count."""
    plan = parse_plan_file(seed_path("004").read_bytes(), "004.txt").to_dict()
    assert [i["target_value"] for i in plan["indicators"]] == [30, 500, 600]


@pytest.mark.parametrize("prefix", ["002", "003"])
def test_indicators_round_trip_through_the_task_table(prefix):
    plan = parse_plan_file(seed_path(prefix).read_bytes(), "plan.txt").to_dict()
    again = parse_plan_file(write_task_table(plan), "plan.xlsx").to_dict()
    assert again["indicators"] == plan["indicators"]


def test_a_plan_without_figures_has_no_indicators():
    assert parse_plan_text("某市工作方案\n一、重点任务\n1.加强保护。加强执法(市知识产权局负责)。").indicators == []
