"""Plan importer, parsing side: a document's bytes → ParsedPlan. No database.

Public API:
- `parse_plan_text(text) -> ParsedPlan`
- `parse_plan_file(data, filename) -> ParsedPlan` — .txt/.md (UTF-8, UTF-8 BOM,
  GB18030/GBK, Big5), .docx, text .pdf (see `pdf.py`), and 分工表 as
  .xlsx/.csv; the format comes from the content (PDF, Office packages) and the
  extension. Scanned PDFs and .doc/.wps/.xls are refused with a message
  saying what to upload instead.
- `ParsedPlan.to_dict()` — the `duban plan parse` JSON shape plus `warnings`
  and `indicators` (指标: `{"name", "target_value", "unit", "comparison",
  "target_date", "text", "department"}`, see `indicators.py`).
- `PlanParseError(ValueError)` — unreadable, empty, binary, or no plan found;
  its subclass `LimitExceeded` when the upload expands past `ReadLimits`
  (inflated size, members, text, lines, rows, cells), checked before reading.

Output conventions: `text`, titles, sections, phase names and the doc number
keep the document's own characters; department names are Simplified Chinese
with the shared 市/省/区/县 prefix expanded; dates are ISO. A task's
`mandatory` is true/false only where the document says 必做/选做, else null.

Warnings are objects `{"code", "message", "measure"}`: `code` is one of
`no_annotation` (a measure names no department), `no_lead` (only support
departments), `no_measures` (a task with nothing to assign), `single_mention`
(a department named only once in the whole plan — often a typo),
`no_deadline` (no dated phase, and measures without a time limit: nothing says
when they are due), `bad_date` (a phase or time limit that could not be read),
`bad_indicator` (a 指标 sheet row whose target is not a number),
`vague_unit` (an annotation's 有关部门/…等相关单位, left out: the office may
name the units); `single_mention` is given for free text only, not tables;
`message` is Simplified Chinese; `measure` quotes the start of the
measure or line concerned, or is null.
"""

from pathlib import PurePath

from .checks import check_measures
from .errors import LimitExceeded, PlanParseError
from .model import (
    COMPARISON_LABELS,
    COMPARISONS,
    ParsedIndicator,
    ParsedMeasure,
    ParsedPhase,
    ParsedPlan,
    ParsedTask,
    ParseWarning,
)
from .pdf import is_pdf, read_pdf
from .plan_text import parse_text, vague_warnings
from .roles import document_rules
from .reading import DEFAULT_LIMITS, ReadLimits, check_text, decode_text, read_csv, read_docx, read_xlsx, zip_kind
from .tables import parse_tables

__all__ = [
    "COMPARISONS",
    "COMPARISON_LABELS",
    "LimitExceeded",
    "ParsedIndicator",
    "ParsedMeasure",
    "ParsedPhase",
    "ParsedPlan",
    "ParsedTask",
    "ParseWarning",
    "PlanParseError",
    "ReadLimits",
    "parse_plan_file",
    "parse_plan_text",
]

# Old binary Office and WPS files: no well-kept reader; the office can save them anew in seconds.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLD_OFFICE = {
    ".doc": "无法读取 .doc/.wps 文件：请在 Word 或 WPS 中“另存为” .docx（或导出为 PDF、纯文本）后上传",
    ".wps": "无法读取 .doc/.wps 文件：请在 Word 或 WPS 中“另存为” .docx（或导出为 PDF、纯文本）后上传",
    ".xls": "无法读取 .xls/.et 文件：请在 Excel 或 WPS 中“另存为” .xlsx（或 .csv）后上传",
    ".et": "无法读取 .xls/.et 文件：请在 Excel 或 WPS 中“另存为” .xlsx（或 .csv）后上传",
}
_NO_PLAN = "未找到可识别的方案内容 (no recognisable plan: no tasks, measures or phases)"


def _checked(plan: ParsedPlan | None) -> ParsedPlan:
    if plan is None or plan.is_empty():
        raise PlanParseError(_NO_PLAN)
    return plan


def parse_plan_text(text: str, limits: ReadLimits = DEFAULT_LIMITS) -> ParsedPlan:
    if not text.strip():
        raise PlanParseError("文件为空 (empty file)")
    check_text(text, limits)
    plan = _checked(parse_text(text))
    plan.source_text = text
    return plan


def _with_checks(plan: ParsedPlan | None) -> ParsedPlan | None:
    if plan is not None:
        plan.from_table = True
        plan.warnings += check_measures(plan, free_text=False)
    return plan


def _table_plan(tables: list) -> ParsedPlan | None:
    with document_rules() as rules:
        plan = parse_tables(tables)
    if plan is not None:
        plan.warnings += vague_warnings(rules.dropped)
    return plan


def _from_docx(data: bytes, limits: ReadLimits) -> ParsedPlan:
    text, tables = read_docx(data, limits)
    table_plan = _table_plan(tables)
    if table_plan is None or table_plan.is_empty():
        return parse_plan_text(text, limits)
    text_plan = parse_text(text)
    table_plan.title = table_plan.title or text_plan.title
    table_plan.doc_number = table_plan.doc_number or text_plan.doc_number
    table_plan.phases = table_plan.phases or text_plan.phases
    table_plan.indicators = table_plan.indicators or text_plan.indicators
    table_plan.source_text = text
    # Checked after the merge: the text's phases date the table's measures.
    return _with_checks(table_plan)


def parse_plan_file(data: bytes, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ParsedPlan:
    if not data:
        raise PlanParseError("文件为空 (empty file)")
    suffix = PurePath(filename).suffix.lower()
    if is_pdf(data, filename):
        return parse_plan_text(read_pdf(data, limits), limits)
    if data.startswith(_OLE) or suffix in _OLD_OFFICE:
        raise PlanParseError(_OLD_OFFICE.get(suffix, _OLD_OFFICE[".doc"]))
    kind = zip_kind(data, limits)
    if kind == "docx":
        return _checked(_from_docx(data, limits))
    if kind == "xlsx":
        return _checked(_with_checks(_table_plan(list(read_xlsx(data, limits).values()))))
    if suffix in (".docx", ".xlsx"):
        raise PlanParseError(f"无法读取 {suffix} 文件 (unreadable {suffix} file)")
    if suffix in (".csv", ".tsv"):
        return _checked(_with_checks(_table_plan([read_csv(data, limits)])))
    return parse_plan_text(decode_text(data, limits), limits)
