"""Role rules a document states, vague tails, bracketed names, deadlines inside annotations."""

import pytest

from service.plans.parser import parse_plan_text


def plan_of(*measures: str, title: str = "某市某某工作方案"):
    lines = [title, "一、重点任务"] + [f"{i}.{text}" for i, text in enumerate(measures, 1)]
    return parse_plan_text("\n".join(lines))


def roles(plan) -> list[tuple[list[str], list[str]]]:
    return [(m.lead, m.support) for m in plan.all_measures()]


@pytest.mark.parametrize(
    "rule",
    [
        "排在第一位的为牵头部门，下同",
        "列第一位的为牵头单位，下同",
        "排名第一的为牵头单位，下同",
        "排在第一位的为牵头单位,下同",
    ],
)
def test_first_listed_leads_for_the_rest_of_the_document(rule):
    plan = plan_of(
        f"推进甲项工作。（发展改革委、财政部、商务部负责，{rule}）",
        "推进乙项工作。（财政部、税务总局负责）",
        "推进丙项工作。（人民银行负责）",
    )
    assert roles(plan) == [
        (["发展改革委"], ["财政部", "商务部"]),
        (["财政部"], ["税务总局"]),
        (["人民银行"], []),
    ]
    # The rule's words are neither a unit nor left in the measure.
    assert all("第一" not in m.text and "下同" not in m.text for m in plan.all_measures())


def test_a_rule_without_xiatong_holds_for_its_own_annotation_only():
    plan = plan_of(
        "推进甲项工作。（发展改革委、财政部负责，排在第一位的为牵头部门）",
        "推进乙项工作。（财政部、税务总局负责）",
    )
    assert roles(plan) == [(["发展改革委"], ["财政部"]), (["财政部", "税务总局"], [])]


def test_comma_rule_splits_lead_from_support():
    plan = plan_of(
        "推进甲项工作。（省政务服务管理局，省司法厅、省委编办。逗号前为牵头单位，其余为配合单位，下同）",
        "推进乙项工作。（省大数据局、省政务服务管理局，省公安厅）",
    )
    assert roles(plan) == [
        (["省政务服务管理局"], ["省司法厅", "省委编办"]),
        (["省大数据局", "省政务服务管理局"], ["省公安厅"]),
    ]


def test_under_a_rule_a_bracket_that_lists_no_units_is_text():
    plan = plan_of(
        "推进甲项工作。（发展改革委、财政部负责，排在第一位的为牵头部门，下同）",
        "建设北斗（广东）基地，推广应用（试点）。（工业和信息化部负责）",
    )
    assert plan.all_measures()[1].text == "建设北斗（广东）基地，推广应用（试点）"


@pytest.mark.parametrize(
    ("annotation", "lead", "support"),
    [
        ("（市发展改革委牵头，市财政局、市商务局按职责分工负责）", ["市发展改革委"], ["市财政局", "市商务局"]),
        ("（市发展改革委牵头，市财政局、市商务局）", ["市发展改革委"], ["市财政局", "市商务局"]),
        ("（牵头单位：市发展改革委；配合单位：市财政局、市商务局）", ["市发展改革委"], ["市财政局", "市商务局"]),
        ("（牵头单位:市商务局  责任单位:市编办、市发改委）", ["市商务局"], ["市编办", "市发改委"]),
        ("（责任单位：市发展改革委（牵头），市财政局、市商务局）", ["市发展改革委"], ["市财政局", "市商务局"]),
        ("（责任单位：市发展改革委（牵头）、市财政局、市商务局）", ["市发展改革委"], ["市财政局", "市商务局"]),
        ("（市发展改革委（牵头）、市财政局负责）", ["市发展改革委"], ["市财政局"]),
        ("〔牵头单位:区政府办公室,责任单位:各街道(功能区)〕", ["区政府办公室"], ["各街道(功能区)"]),
        ("〈市发展改革委牵头，市财政局配合〉", ["市发展改革委"], ["市财政局"]),
    ],
)
def test_annotation_forms(annotation, lead, support):
    plan = plan_of(f"推进甲项工作{annotation}。")
    (measure,) = plan.all_measures()
    assert (measure.lead, measure.support, measure.text) == (lead, support, "推进甲项工作")


def test_bracketed_names_stay_whole_inside_any_annotation():
    plan = plan_of(
        "建立企业服务制度〔市委组织部〔市人才办〕牵头，各县（市、区）政府、各区〔县、市〕政府配合〕。",
    )
    (measure,) = plan.all_measures()
    assert measure.text == "建立企业服务制度"
    assert (measure.lead, measure.support) == (["市委组织部〔市人才办〕"], ["各县（市、区）政府", "各区〔县、市〕政府"])


def test_bare_label_lines_after_a_measure_are_one_annotation():
    text = "\n".join([
        "某市2020年重点工作及责任分解", "一、确保完成全年主要预期目标", "1. 地区生产总值增长8%以上。",
        "牵头负责领导:金力。", "牵头责任单位:市发展改革委。", "协同责任单位:市经信局、市商务局等,各县、市、区政府。",
    ])
    (measure,) = parse_plan_text(text).all_measures()
    assert measure.text == "地区生产总值增长8%以上"
    assert (measure.lead, measure.support) == (["市发展改革委"], ["市经信局", "市商务局", "各县、市、区政府"])


def test_vague_tails_are_dropped_with_a_warning():
    plan = plan_of(
        "推进甲项工作。（市场监管总局、司法部等有关部门负责）",
        "推进乙项工作。（市政府办公室牵头，市级各有关部门及各县市区政府按职责分工负责）",
        "推进丙项工作。（有关部门负责）",
    )
    assert roles(plan)[:2] == [(["市场监管总局", "司法部"], []), (["市政府办公室"], ["各县市区政府"])]
    assert not plan.all_measures()[2].lead
    vague = [w.message for w in plan.warnings if w.code == "vague_unit"]
    assert vague == [
        "“等有关部门”未指明具体单位，已略去；如需分工请补充单位",
        "“市级各有关部门”未指明具体单位，已略去；如需分工请补充单位",
        "“有关部门”未指明具体单位，已略去；如需分工请补充单位",
    ]


def test_a_deadline_inside_the_annotation_goes_to_the_measure():
    plan = plan_of(
        "清理规范涉企收费。（财政部牵头，发展改革委配合，2025年6月底前完成）",
        "推进乙项工作。（财政部负责，持续推进）",
    )
    first, second = plan.all_measures()
    assert (first.lead, first.support, first.deadline) == (["财政部"], ["发展改革委"], "2025-06-30")
    assert (second.lead, second.support, second.deadline) == (["财政部"], [], None)
    assert "2025" not in first.text


@pytest.mark.parametrize(
    "note",
    [
        "注：各项任务的责任单位中，排在第一位的单位为牵头单位。",
        "（各项任务责任单位中，列第一位的为牵头单位）",
    ],
)
def test_a_rule_noted_once_outside_the_annotations_holds_for_the_whole_document(note):
    text = "\n".join([
        "某市某某工作方案", note, "一、重点任务",
        "1.推进甲项工作。（市发展改革委、市财政局负责）", "2.推进乙项工作。（市商务局、市财政局）",
    ])
    assert roles(parse_plan_text(text)) == [(["市发展改革委"], ["市财政局"]), (["市商务局"], ["市财政局"])]


def test_a_xiatong_rule_in_a_part_read_after_the_tasks_still_holds_for_them():
    text = "\n".join([
        "某市某某工作方案", "一、总体目标",
        "到2025年，营商环境明显改善。（市发展改革委、市财政局负责，排在第一位的为牵头单位，下同）",
        "二、重点任务", "1.推进甲项工作。（市商务局、市财政局负责）",
    ])
    plan = parse_plan_text(text)
    assert roles(plan) == [(["市商务局"], ["市财政局"]), (["市发展改革委"], ["市财政局"])]


def test_units_a_note_makes_responsible_for_every_later_measure_are_added_to_them():
    plan = plan_of(
        "争取省级专项资金。(责任单位:市工信局、市财政局，各县区人民政府。以下政策措施均需各县区人民政府、园区管委会落实，不再单独列出)",
        "成立工作专班。(责任单位:市工信局)",
        "开展培训。（市人社局牵头，市工信局配合）",
    )
    assert roles(plan) == [
        (["市工信局", "市财政局", "各县区人民政府", "园区管委会"], []),
        (["市工信局", "各县区人民政府", "园区管委会"], []),
        (["市人社局"], ["市工信局", "各县区人民政府", "园区管委会"]),
    ]
    assert not any("列出" in name for m in plan.all_measures() for name in m.lead + m.support)
