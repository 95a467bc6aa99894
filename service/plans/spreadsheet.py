"""Parsed plan → 分工表 (.xlsx) that WPS and Excel open, and that
`parse_plan_file(..., "x.xlsx")` reads back to the same plan.

Sheet 分工表: title row, doc-number row, header row, then per section a
heading row (its name in the first column, merged across) followed by one row
per measure; the 序号/重点任务/任务类型 cells of a task's rows are merged.
Measures outside tasks come last under a 其他措施 heading row. Sheet 推进阶段
lists the phases, and sheet 指标 the indicators when the plan has any.
"""

import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from service.plans.parser import COMPARISON_LABELS
from service.plans.parser.tables import INDICATOR_HEADERS
from service.xlsx import workbook_bytes

HEADERS = ("序号", "重点任务", "任务类型", "具体措施", "牵头单位", "配合单位", "完成时限")
_WIDTHS = (6, 28, 10, 60, 28, 36, 12)
_MERGED_TASK_COLUMNS = (1, 2, 3)
_OUTSIDE_TASKS = "其他措施"
_WRAP = Alignment(wrap_text=True, vertical="top")


def _mandatory_label(value: bool | None) -> str | None:
    return {True: "必做", False: "选做"}.get(value)


def _date_cell(sheet: Worksheet, row: int, column: int, iso: str | None) -> None:
    if iso:
        cell = sheet.cell(row, column, datetime.date.fromisoformat(iso))
        cell.number_format = "yyyy-mm-dd"


def _heading_row(sheet: Worksheet, text: str) -> None:
    sheet.append([text])
    row = sheet.max_row
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADERS))
    sheet.cell(row, 1).font = Font(bold=True)


def _measure_row(sheet: Worksheet, task_cells: list, measure: dict | None) -> None:
    if measure is None:
        sheet.append(task_cells)
        return
    sheet.append(task_cells + [measure["text"], "、".join(measure["lead"]), "、".join(measure["support"])])
    _date_cell(sheet, sheet.max_row, len(HEADERS), measure["deadline"])


def _task_rows(sheet: Worksheet, task: dict) -> None:
    first = sheet.max_row + 1
    cells = [task["number"], task["title"], _mandatory_label(task["mandatory"])]
    for measure in task["measures"] or [None]:
        _measure_row(sheet, cells, measure)
    if sheet.max_row > first:
        for column in _MERGED_TASK_COLUMNS:
            sheet.merge_cells(start_row=first, start_column=column, end_row=sheet.max_row, end_column=column)


def _task_sheet(sheet: Worksheet, plan: dict) -> None:
    sheet.title = "分工表"
    sheet.append([plan.get("title")])
    sheet.append([plan.get("doc_number")])
    sheet.append(list(HEADERS))
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[chr(64 + column)].width = width
        sheet.cell(3, column).font = Font(bold=True)
    section = object()  # matches no real section, so the first one gets its heading row
    for task in plan["tasks"]:
        if task["section"] != section:
            section = task["section"]
            if section:
                _heading_row(sheet, section)
        _task_rows(sheet, task)
    if plan["measures_outside_tasks"]:
        _heading_row(sheet, _OUTSIDE_TASKS)
        for measure in plan["measures_outside_tasks"]:
            _measure_row(sheet, [None, None, None], measure)
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = _WRAP


def _phase_sheet(sheet: Worksheet, phases: list[dict]) -> None:
    sheet.append(["推进阶段", "完成时限"])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 14
    for phase in phases:
        sheet.append([phase["name"]])
        _date_cell(sheet, sheet.max_row, 2, phase["deadline"])


def _indicator_sheet(sheet: Worksheet, indicators: list[dict]) -> None:
    sheet.append(list(INDICATOR_HEADERS))
    for column, width in zip("ABCDEFG", (36, 10, 8, 14, 12, 60, 16)):
        sheet.column_dimensions[column].width = width
    for item in indicators:
        sheet.append([item["name"], item["target_value"], item["unit"], COMPARISON_LABELS[item["comparison"]]])
        _date_cell(sheet, sheet.max_row, 5, item["target_date"])
        sheet.cell(sheet.max_row, 6, item["text"]).alignment = _WRAP
        sheet.cell(sheet.max_row, 7, item.get("department"))


def write_task_table(plan: dict) -> bytes:
    """The plan (as `ParsedPlan.to_dict()` gives it) as .xlsx bytes."""
    book = Workbook()
    _task_sheet(book.active, plan)
    _phase_sheet(book.create_sheet("推进阶段"), plan["phases"])
    if plan.get("indicators"):
        _indicator_sheet(book.create_sheet("指标"), plan["indicators"])
    return workbook_bytes(book)
