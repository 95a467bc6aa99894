"""Plain text of a plan → ParsedPlan."""

import re

from .boilerplate import strip_boilerplate
from .chinese import chinese_number, to_simplified
from .dates import period_end, plan_year, within_the_year
from .indicators import extract_indicators
from .checks import check_measures, snippet
from .measures import measures_outside_tasks, split_task
from .model import ParsedPlan, ParseWarning, ParsedPhase, ParsedTask
from .outline import Line, read_outline
from .roles import document_rules, noted_rule, set_plan_year

_PHASE = re.compile(r"^(?P<name>[^:：，,。()（）]{2,15}?(?:阶段|階段))\s*[:：(（]\s*(?P<when>[^。]*)")
# A count of tasks: up to three digits or a numeral up to 九十九 (a longer run
# of digits is no count, and int() refuses one of over 4300 digits).
_COUNT = r"(\d{1,3}|十[一二三四五六七八九]?|[一二三四五六七八九](?:十[一二三四五六七八九]?)?)"
_FIRST_MANDATORY = re.compile(rf"前{_COUNT}项(?:任务)?(?:为|是|属于)?必做")
_LAST_OPTIONAL = re.compile(rf"后{_COUNT}项(?:任务)?(?:为|是|属于)?选做")


def _count(numeral: str) -> int:
    return int(numeral) if numeral.isdigit() else chinese_number(numeral)


def read_phases(lines: list[Line]) -> tuple[list[ParsedPhase], list[ParseWarning]]:
    phases, warnings = [], []
    for line in lines:
        match = _PHASE.match(line.rest if line.level else line.text)
        if not match:
            continue
        phase = ParsedPhase(match.group("name"), period_end(match.group("when")))
        if phase.deadline is None:
            warnings.append(ParseWarning("bad_date", f"无法识别阶段“{phase.name}”的时间", snippet(line.text)))
        phases.append(phase)
    return phases, warnings


def apply_mandatory(tasks: list[ParsedTask], full_text: str) -> None:
    """Mark tasks 必做/选做 where the document says so; otherwise leave None (not stated)."""
    simple = to_simplified(full_text)
    for match in _FIRST_MANDATORY.finditer(simple):
        for task in tasks[: _count(match.group(1))]:
            task.mandatory = True
    for match in _LAST_OPTIONAL.finditer(simple):
        count = _count(match.group(1))
        for task in tasks[len(tasks) - count :] if count else []:
            task.mandatory = False
    for task in tasks:
        marks = to_simplified(task.title)
        if "必做" in marks or "选做" in marks:
            task.mandatory = "必做" in marks


def vague_warnings(dropped: list[tuple[str, str]]) -> list[ParseWarning]:
    """One warning per vague name left out of an annotation (each annotation is read more than once)."""
    return [
        ParseWarning("vague_unit", f"“{words}”未指明具体单位，已略去；如需分工请补充单位", snippet(context))
        for words, context in dict.fromkeys(dropped)
    ]


def parse_text(text: str) -> ParsedPlan:
    with document_rules() as rules:
        rules.rule = noted_rule(text)
        plan = _parse_text(text)
    plan.warnings += vague_warnings(rules.dropped)
    return plan


def _parse_text(text: str) -> ParsedPlan:
    outline = read_outline(strip_boilerplate(text))
    year = plan_year(outline.title)
    set_plan_year(year)
    tasks = []
    for raw in outline.tasks:
        title, measures = split_task(raw)
        tasks.append(ParsedTask(raw.number, title, raw.section, None, measures))
    apply_mandatory(tasks, text)
    phases, warnings = read_phases(outline.body)
    plan = ParsedPlan(
        title=outline.title,
        doc_number=outline.doc_number,
        phases=phases,
        tasks=tasks,
        measures_outside_tasks=measures_outside_tasks(outline.loose_lines),
        indicators=extract_indicators(outline.body),
    )
    for measure in plan.all_measures():
        measure.deadline = measure.deadline or within_the_year(measure.text, year)
    plan.warnings = warnings + check_measures(plan)
    return plan
