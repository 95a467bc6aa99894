"""Word documents, 分工表 as .csv/.xlsx, and inputs that are not plans."""

import io

import docx
import openpyxl
import pytest

from service.plans.parser import PlanParseError, parse_plan_file, parse_plan_text


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_docx_of_the_guangzhou_plan_reads_like_the_text(guangzhou_text):
    data = docx_bytes(guangzhou_text.splitlines())
    assert parse_plan_file(data, "plan.docx").to_dict() == parse_plan_text(guangzhou_text).to_dict()


def test_docx_with_a_task_table():
    table = [
        ["序号", "重点任务", "工作措施", "牵头单位", "协办单位", "时间节点"],
        ["1", "推进改革", "探索综合管理改革", "市知识产权局、编办", "市工商局", "2018年6月底前"],
    ]
    plan = parse_plan_file(docx_bytes(["某市重点任务分工方案", "某府〔2018〕3号"], table), "t.docx")
    assert plan.title == "某市重点任务分工方案" and plan.doc_number == "某府〔2018〕3号"
    assert plan.tasks[0].measures[0].lead == ["市知识产权局", "市编办"]
    assert plan.tasks[0].measures[0].deadline == "2018-06-30"


CSV = """广州市重点任务分工表
序号,任务,具体措施,责任单位,完成时限
1,推进知识产权管理体制机制改革,"探索推进知识产权综合管理改革","市知识产权局、编办牵头，市委改革办配合",2017年12月前
,,"在广州开发区形成统一管理模式",广州开发区管委会,
2,建立创新决策机制,开展区域布局试点,市知识产权局,不久以后
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_a_responsibility_column(encoding):
    plan = parse_plan_file(CSV.encode(encoding), "分工表.csv")
    assert plan.title == "广州市重点任务分工表"
    first, second = plan.tasks
    assert [m.text for m in first.measures] == ["探索推进知识产权综合管理改革", "在广州开发区形成统一管理模式"]
    assert first.measures[0].lead == ["市知识产权局", "市编办"]
    assert first.measures[0].support == ["市委改革办"]
    assert first.measures[0].deadline == "2017-12-31"
    assert second.measures[0].lead == ["市知识产权局"]
    assert [w.code for w in plan.warnings].count("bad_date") == 1  # 不久以后


def test_xlsx_with_other_header_names_and_a_header_below_the_title():
    rows = [
        ["某区2019年工作要点任务分工"],
        [],
        ["编号", "主要任务", "工作措施", "牵头部门", "参与单位", "完成时间"],
        ["(一)加强保护"],
        [1, "1.完善执法机制", "开展专项行动", "区市场监管局", "区公安分局、区法院", "2019-09-30"],
    ]
    plan = parse_plan_file(xlsx_bytes(rows), "x.xlsx")
    [task] = plan.tasks
    assert (task.number, task.title, task.section) == ("1", "完善执法机制", "加强保护")
    assert task.measures[0].support == ["区公安分局", "区法院"]
    assert task.measures[0].deadline == "2019-09-30"


@pytest.mark.parametrize(
    "data, filename",
    [
        (b"", "empty.txt"),
        (b"  \n\n", "blank.txt"),
        (bytes(range(256)) * 4, "binary.txt"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "plan.txt"),
        ("今天天气很好。我们去公园散步。".encode(), "prose.txt"),
        (b"PK\x03\x04 not really a zip", "plan.docx"),
        (xlsx_bytes([["姓名", "电话"], ["张三", "123"]]), "contacts.xlsx"),
    ],
)
def test_inputs_that_are_not_plans_raise_a_one_line_error(data, filename):
    with pytest.raises(PlanParseError) as error:
        parse_plan_file(data, filename)
    assert "\n" not in str(error.value) and str(error.value)


def test_control_characters_in_a_text_file_are_dropped_and_page_breaks_end_a_line(guangzhou_text):
    clean = parse_plan_file(guangzhou_text.encode(), "plan.txt").to_dict()
    # Noise a converted document carries: NUL and BEL inside a measure, a form
    # feed (pdftotext's page break) where a line ended.
    noisy = guangzhou_text.replace("探索推進知識產權", "探索\x00推進知識\x07產權").replace("\n", "\x0c")
    parsed = parse_plan_file(noisy.encode(), "plan.txt").to_dict()
    assert parsed == clean
    assert parsed["tasks"][0]["measures"][0]["text"].startswith("按照國家和省有關文件精神,探索推進知識產權")
    assert not any(char in str(parsed) for char in "\x00\x07\x0c")


def test_a_text_file_made_mostly_of_control_characters_is_not_text():
    with pytest.raises(PlanParseError, match="binary"):
        parse_plan_file(("广州市行动计划\x00\x01\x02\x03" * 50).encode(), "plan.txt")


NO_ANNOTATIONS = """某区2024年知识产权工作要点
一、重点任务
（一）加强保护。开展专项执法行动，全年办理案件100件以上。
（二）加强宣传。举办知识产权宣传周活动，组织企业培训不少于10场。
"""
FURNITURE = "扫一扫在手机打开当前页\n【打印】【关闭】\n浏览次数：1024\n上一篇：关于印发某某办法的通知\n"


@pytest.mark.parametrize("plan", ["guangzhou", "no_annotations"])
def test_web_page_furniture_of_a_reposted_plan_is_removed(plan, guangzhou_text):
    text = guangzhou_text if plan == "guangzhou" else NO_ANNOTATIONS
    # As saved from a government site: the page's own words above the plan and glued to its last line.
    page = (
        "当前位置：首页 > 政务公开 > 政策文件\n发布时间：2018-01-30 【字体：大 中 小】 打印本页 关闭窗口\n"
        + text.rstrip("\n")
        + FURNITURE
    )
    reposted = parse_plan_text(page).to_dict()
    assert reposted == parse_plan_text(text).to_dict()
    assert not any("扫一扫" in m["text"] for t in reposted["tasks"] for m in t["measures"])


def test_docx_table_without_a_measure_column_makes_each_row_a_measure():
    table = [
        ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
        ["1", "规范行政备案事项管理，编制并公布行政备案事项清单。", "区政府办公室", "区司法局等有关部门", "2021年6月底前"],
        ["2", "深入研究论证区级行政权力事项。", "区司法局", "区政府有关部门，各街道(功能区)", "持续推进"],
    ]
    plan = parse_plan_file(docx_bytes(["某区重点任务分工方案"], table), "分工表.docx")
    measures = plan.all_measures()
    assert [(m.text, m.lead, m.support, m.deadline) for m in measures] == [
        ("规范行政备案事项管理，编制并公布行政备案事项清单。", ["区政府办公室"], ["区司法局"], "2021-06-30"),
        ("深入研究论证区级行政权力事项。", ["区司法局"], ["各街道(功能区)"], None),
    ]
    codes = [w.code for w in plan.warnings]
    # 持续推进 is recurring, not a bad date; units in a table are not checked for single mentions.
    assert "bad_date" not in codes and "single_mention" not in codes
    assert codes.count("vague_unit") == 2


@pytest.mark.parametrize(
    "header",
    [
        ["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"],
        ["序号", "主要任务", "工作内容", "牵头部门", "协办单位", "时间节点"],
        ["序号", "任务名称", "主要举措", "主办单位", "参与单位", "进度安排"],
        ["序号", "重点任务", "工作任务", "牵头单位", "配合部门", "完成时间"],
    ],
)
def test_xlsx_header_variants_and_a_task_merged_over_its_rows(header):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某市2024年重点任务分工表"])
    sheet.append(header)
    sheet.append(["1", "优化政务服务", "推行高频事项全程网办", "市政务服务局", "市大数据局", "2024年6月底前"])
    sheet.append(["2", None, "推广电子证照应用", "市大数据局", "市公安局", "每季度"])
    sheet.append(["3", None, "开展政务服务好差评", "市政务服务局", "", "长期坚持"])
    sheet.merge_cells("B3:B5")
    second = book.create_sheet("附表2")
    second.append(header)
    second.append(["1", "加强监管", "开展双随机抽查", "市市场监管局", "市司法局", "每年"])
    out = io.BytesIO()
    book.save(out)
    plan = parse_plan_file(out.getvalue(), "分工表.xlsx")
    assert [(t.title, [m.text for m in t.measures]) for t in plan.tasks] == [
        ("优化政务服务", ["推行高频事项全程网办", "推广电子证照应用", "开展政务服务好差评"]),
        ("加强监管", ["开展双随机抽查"]),
    ]
    assert [m.lead for m in plan.all_measures()] == [["市政务服务局"], ["市大数据局"], ["市政务服务局"], ["市市场监管局"]]
    assert plan.all_measures()[0].deadline == "2024-06-30"
    assert not [w for w in plan.warnings if w.code in ("bad_date", "single_mention")]
