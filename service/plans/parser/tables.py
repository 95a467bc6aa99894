"""Division-of-labour tables (分工表) → ParsedPlan.

The header row is found among the first rows by its column names, compared in
Simplified Chinese without spaces. Rows before it give the title and doc
number. A row whose only value sits in the first column is a section heading
(and closes the current task). Blank task cells repeat the task above,
because 分工表 usually merge the task cells of its measures (a 序号 beside a
blank task cell numbers the rows). Without a measure column, each row's
工作任务 is its measure; with two task columns (重点任务 | 工作任务) the second
is. A recurring time limit (持续推进, 长期坚持, 每季度) has no date and is not
an error. A sheet with
阶段 and 时限 columns lists the phases, one headed 指标, 目标值 the indicators
(as `service.plans.spreadsheet` writes them).
"""

import datetime
import re

from .annotations import parse_assignment
from .checks import snippet
from .chinese import strip_spaces, to_simplified
from .dates import period_end
from .indicators import as_number
from .model import COMPARISON_LABELS, COMPARISONS, ParsedIndicator, ParsedMeasure, ParsedPlan, ParseWarning, ParsedPhase, ParsedTask
from .names import department_list
from .outline import read_line
from .roles import RECURRING

# Column → header words; checked in this order, so 任务类型 is not taken for 任务.
COLUMNS = {
    "number": ("序号", "编号"),
    "mandatory": ("任务类型", "必做", "选做"),
    "lead": ("牵头单位", "牵头部门", "主办单位"),
    "support": ("配合单位", "协办单位", "参与单位", "配合部门"),
    "responsible": ("责任单位", "责任部门"),
    "deadline": ("完成时限", "时间节点", "完成时间", "时限", "进度安排"),
    "measure": ("具体措施", "工作措施", "措施", "工作内容", "举措"),
    "task": ("重点任务", "主要任务", "任务"),
    "section": ("重点工程", "所属工程", "部分"),
    "phase": ("阶段",),
}
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*[号號]")
_NAME_SEPARATORS = re.compile(r"[,，;；\s]+")
_HEADER_SEARCH_ROWS = 15


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _column_of(header: str) -> str | None:
    simple = strip_spaces(to_simplified(header))
    return next((column for column, words in COLUMNS.items() if any(w in simple for w in words)), None)


def _header(row: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, text in enumerate(row):
        column = _column_of(text) if text else None
        if column == "task" and "task" in columns and "measure" not in columns:
            column = "measure"  # 重点任务 | 工作任务: the second names the work of each row
        if column and column not in columns:
            columns[column] = index
    return columns


def find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns = _header(row)
        has_work = "measure" in columns or "task" in columns
        has_who = {"lead", "support", "responsible"} & columns.keys()
        if has_work and has_who:
            return index, columns
    return None


def _names(text: str) -> list[str]:
    return [name for part in _NAME_SEPARATORS.split(text) for name in department_list(part)]


def _responsible(text: str) -> tuple[list[str], list[str]]:
    """A 责任单位 cell: `X牵头，Y配合` when roles are written, else everyone leads."""
    assignment = parse_assignment(text)
    return (assignment.lead, assignment.support) if assignment else (_names(text), [])


def _mandatory(text: str) -> bool | None:
    simple = to_simplified(text)
    return True if "必做" in simple else False if "选做" in simple else None


class _TableReader:
    """Reads the body rows of one 分工表 into a plan, one row at a time."""

    def __init__(self, plan: ParsedPlan, columns: dict[str, int]):
        self.plan, self.columns = plan, columns
        self.section: str | None = None
        self.task: ParsedTask | None = None

    def get(self, row: list[str], column: str) -> str:
        index = self.columns.get(column)
        return row[index] if index is not None and index < len(row) else ""

    def read(self, row: list[str]) -> None:
        filled = [text for text in row if text]
        if not filled:
            return
        if len(filled) == 1 and row[0] and not row[0].isdigit():
            self.section, self.task = _heading_text(row[0]), None
            return
        if self.get(row, "section"):
            self.section = self.get(row, "section")
        self._read_task(row)
        # Without a measure column, each row's task is the work to assign: the row is a measure.
        work = self.get(row, "measure" if "measure" in self.columns else "task")
        if work:
            self._read_measure(row, work)

    def _read_task(self, row: list[str]) -> None:
        number, title = self.get(row, "number"), self.get(row, "task")
        if not (number or title) or (not title and self.task and "task" in self.columns):
            return  # a merged cell: the task above continues (a 序号 beside it numbers the rows)
        line = read_line(title)
        if line.level:
            number, title = number or str(line.number), line.rest
        if self.task and (number, title) == (self.task.number, self.task.title):
            return
        self.task = ParsedTask(number, title, self.section, _mandatory(self.get(row, "mandatory")))
        self.plan.tasks.append(self.task)

    def _read_measure(self, row: list[str], text: str) -> None:
        lead, support = _names(self.get(row, "lead")), _names(self.get(row, "support"))
        if self.get(row, "responsible"):
            more_lead, more_support = _responsible(self.get(row, "responsible"))
            lead, support = lead + more_lead, support + more_support
        when = self.get(row, "deadline")
        measure = ParsedMeasure(text, lead, support, period_end(when) if when else None)
        # 持续推进, 长期坚持, 每季度: recurring work has no end date, and that is not an error.
        if when and measure.deadline is None and not RECURRING.match(strip_spaces(to_simplified(when))):
            self.plan.warnings.append(ParseWarning("bad_date", f"无法识别完成时限“{when}”", snippet(measure.text)))
        (self.task.measures if self.task else self.plan.measures_outside_tasks).append(measure)


def _heading_text(text: str) -> str:
    line = read_line(text)
    return (line.rest if line.level else text).rstrip("。")


def _read_title(plan: ParsedPlan, rows: list[list[str]]) -> None:
    for text in (text for row in rows for text in row if text):
        match = _DOC_NUMBER.search(text)
        if match and not plan.doc_number:
            plan.doc_number = match.group(0)
        elif not match and not plan.title and not text.startswith("附件"):
            plan.title = text


def _read_phases(plan: ParsedPlan, rows: list[list[str]]) -> bool:
    columns = _header(rows[0]) if rows else {}
    if "phase" not in columns or "deadline" not in columns:
        return False
    for row in rows[1:]:
        name, when = row[columns["phase"]], row[columns["deadline"]]
        if name:
            plan.phases.append(ParsedPhase(name, period_end(when)))
            if plan.phases[-1].deadline is None:
                plan.warnings.append(ParseWarning("bad_date", f"无法识别阶段“{name}”的时间", when or None))
    return True


INDICATOR_HEADERS = ("指标", "目标值", "单位", "比较", "目标日期", "原文", "责任单位")
_COMPARISON_OF = {label: key for key, label in COMPARISON_LABELS.items()} | {key: key for key in COMPARISONS}


def _read_indicators(plan: ParsedPlan, rows: list[list[str]]) -> bool:
    if not rows or tuple(strip_spaces(to_simplified(text)) for text in rows[0][:2]) != INDICATOR_HEADERS[:2]:
        return False
    for row in rows[1:]:
        name, value, unit, comparison, when, text, department = (row + [""] * len(INDICATOR_HEADERS))[
            : len(INDICATOR_HEADERS)
        ]
        if not name:
            continue
        try:
            number = as_number(value)
        except ValueError:
            plan.warnings.append(ParseWarning("bad_indicator", f"指标“{name}”的目标值“{value}”不是数字", None))
            continue
        comparison = _COMPARISON_OF.get(comparison, "at_least")
        target_date = period_end(when) if when else None
        department = strip_spaces(to_simplified(department)) or None
        plan.indicators.append(ParsedIndicator(name, number, unit, comparison, target_date, text or name, department))
    return True


def parse_tables(tables: list[list[list[object]]]) -> ParsedPlan | None:
    """The plan in these tables (sheets), or None when none of them is a 分工表."""
    plan, found = ParsedPlan(), False
    for table in tables:
        rows = [[_cell(value) for value in row] for row in table]
        if _read_indicators(plan, rows) or _read_phases(plan, rows):
            continue
        header = find_header(rows)
        if header is None:
            continue
        index, columns = header
        found = True
        _read_title(plan, rows[:index])
        reader = _TableReader(plan, columns)
        for row in rows[index + 1 :]:
            reader.read(row)
    return plan if found else None
