"""Department names, annotations and dates, case by case."""

import pytest

from service.plans.parser.annotations import find_annotations, parse_assignment
from service.plans.parser import parse_plan_text
from service.plans.parser.dates import measure_deadline, period_end, plan_year, within_the_year
from service.plans.parser.names import department_list


@pytest.mark.parametrize(
    "written, expected",
    [
        ("市發展改革委、工業和信息化委", ["市发展改革委", "市工业和信息化委"]),
        ("市知識產權局、編辦", ["市知识产权局", "市编办"]),
        ("市臺辦、僑辦、協作辦", ["市台办", "市侨办", "市协作办"]),
        ("各区政府", ["各区政府"]),
        ("市工商局、各區政府", ["市工商局", "各区政府"]),
        ("廣州海關、黃埔海關", ["广州海关", "黄埔海关"]),
        ("團市委、市總工會", ["团市委", "市总工会"]),
        ("越秀區政府、天河区政府", ["越秀区政府", "天河区政府"]),
        ("市委宣传部", ["市委宣传部"]),
        ("市法院、司法局", ["市法院", "市司法局"]),
        ("广州知识产权仲裁院、市知识产权局", ["广州知识产权仲裁院", "市知识产权局"]),
        ("市知识产权局、广州知识产权仲裁院", ["市知识产权局", "广州知识产权仲裁院"]),
        ("广州开发区管委会、越秀区政府", ["广州开发区管委会", "越秀区政府"]),
        ("省科技厅、财政厅", ["省科技厅", "省财政厅"]),
        ("区发改局、科经委", ["区发改局", "区科经委"]),
        ("县人社局、教育局", ["县人社局", "县教育局"]),
        ("市发展改革委、市场监管局", ["市发展改革委", "市市场监管局"]),
        ("市 贸促会、工商联", ["市贸促会", "市工商联"]),
        ("科协", ["科协"]),  # no prefix written anywhere: keep as written
        ("广州海关、市工商局、版权局", ["广州海关", "市工商局", "市版权局"]),
    ],
)
def test_department_list(written, expected):
    assert department_list(written) == expected


@pytest.mark.parametrize(
    "content, lead, support",
    [
        ("市知识产权局牵头,各区政府配合", ["市知识产权局"], ["各区政府"]),
        ("市知识产权局牵头，各区政府配合", ["市知识产权局"], ["各区政府"]),
        ("市知识产权局牵头；各区政府参与", ["市知识产权局"], ["各区政府"]),
        ("市工商局负责", ["市工商局"], []),
        ("市工商局负责，市版权局协同", ["市工商局"], ["市版权局"]),
        ("市公安局协办,市知识产权局牵头", ["市知识产权局"], ["市公安局"]),
        ("市委組織部牽頭,市委宣傳部,市委黨校,市教育局、人力資源和社會保障局配合",
         ["市委组织部"], ["市委宣传部", "市委党校", "市教育局", "市人力资源和社会保障局"]),
        ("牵头单位：市知识产权局；配合单位：市工商局、版权局", ["市知识产权局"], ["市工商局", "市版权局"]),
        ("牽頭單位:市知識產權局;配合單位:各區政府", ["市知识产权局"], ["各区政府"]),
        ("责任单位：市财政局、统计局", ["市财政局", "市统计局"], []),
        ("责任单位：市财政局牵头，市统计局配合", ["市财政局"], ["市统计局"]),
    ],
)
def test_annotations(content, lead, support):
    assignment = parse_assignment(content)
    assert (assignment.lead, assignment.support) == (lead, support)


@pytest.mark.parametrize("content", ["廣東", "北斗", "設在市知識產權局", "或以上", "2017—2020年", "城区"])
def test_parentheses_that_are_text(content):
    assert parse_assignment(content) is None


def test_label_annotation_written_after_the_measure():
    text = "加强知识产权保护。牵头单位：市知识产权局；配合单位：各区政府\n下一句"
    [annotation] = find_annotations(text)
    assert text[annotation.start :].startswith("牵头单位")
    assert annotation.assignment.support == ["各区政府"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017年6月前", "2017-06-30"),
        ("2017年6月底前", "2017-06-30"),
        ("2015年底之前", "2015-12-31"),
        ("2018年12月前", "2018-12-31"),
        ("2020年6月前。對標指導意見", "2020-06-30"),
        ("2017年6月—12月", "2017-12-31"),
        ("2018年上半年", "2018-06-30"),
        ("2019年3月15日前", "2019-03-15"),
        ("2019-09-30", "2019-09-30"),
        ("近期", None),
    ],
)
def test_period_end(text, expected):
    assert period_end(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015年底之前,各示范城市应印发规划", "2015-12-31"),
        ("2018年6月底前完成评估", "2018-06-30"),
        ("到2020年,建成服务平台", "2020-12-31"),
        ("到2020年底建成", "2020-12-31"),
        ("2015年度专利权质押融资金额增长20%", None),
        ("于2015年12月8日在长沙成立", None),
        ("持续推进", None),
        # seed 000, task 7: the work to be done by then
        ("培养一支专业人才队伍。2015年完成一定数量专利(或专利组合)的运营业务", "2015-12-31"),
        ("2018年底完成评估", "2018-12-31"),
        ("2015年內完成", "2015-12-31"),
        ("2014年有668件重点发明专利实施", None),
        ("3年内完成对管理人员的轮训", None),
    ],
)
def test_measure_deadline(text, expected):
    assert measure_deadline(text) == expected


@pytest.mark.parametrize(
    "title, year",
    [
        ("2015年国家知识产权示范城市工作计划", 2015),
        ("2016年全省知识产权工作要点", 2016),
        ("廣州市創建國家知識產權強市行動計劃(2017—2020年)", None),
        ("浦东新区国家知识产权示范城市(城区)培育工作方案(2017-2019)", None),
        ("某市工作方案", None),
        (None, None),
    ],
)
def test_plan_year(title, year):
    assert plan_year(title) == year


@pytest.mark.parametrize(
    "text, expected",
    [
        ("要启动相关工作,年内出台政策措施", "2015-12-31"),
        ("年內出臺政策措施", "2015-12-31"),
        ("3年内完成轮训", None),
        ("三年内建成", None),
        ("持续推进", None),
    ],
)
def test_within_the_year(text, expected):
    assert within_the_year(text, 2015) == expected
    assert within_the_year(text, None) is None


def test_within_the_year_dates_a_measure_of_a_one_year_plan_only():
    body = "\n一、重点任务\n1.出台政策。年内出台政策措施(市知识产权局负责)。\n2.建设平台。建设平台(市知识产权局负责)。\n"
    one_year = parse_plan_text("2015年知识产权工作计划" + body)
    assert [m.deadline for m in one_year.all_measures()] == ["2015-12-31", None]
    span = parse_plan_text("知识产权行动计划(2017—2020年)" + body)
    assert [m.deadline for m in span.all_measures()] == [None, None]
