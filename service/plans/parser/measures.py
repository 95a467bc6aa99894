"""Splitting task text into measures: each clause that ends in an annotation."""

import re

from .annotations import ParsedAssignment, find_annotations
from .dates import measure_deadline
from .model import ParsedMeasure
from .outline import Line, RawTask

_EDGE_PUNCTUATION = "。；;，,、：:\n \u3000"
_HAS_WORDS = re.compile(r"[\u4e00-\u9fff]{2}")
# "牵头负责领导：金力。" names a person beside the units: not part of the measure.
_LEADER_LINE = re.compile(r"(?:牵头|牽頭|分管|责任|責任)?(?:负责|負責)?(?:领导|領導)[:：][^。\n]{0,30}[。]?")


def _clean(text: str) -> str:
    if "领导" in text or "領導" in text:
        text = _LEADER_LINE.sub("", text)
    return text.strip(_EDGE_PUNCTUATION)


def _measure(text: str, assignment: ParsedAssignment | None) -> ParsedMeasure:
    text = _clean(text)
    if assignment is None:
        return ParsedMeasure(text, deadline=measure_deadline(text))
    deadline = assignment.deadline or measure_deadline(text)
    return ParsedMeasure(text, list(assignment.lead), list(assignment.support), deadline)


def annotated_clauses(text: str) -> tuple[list[ParsedMeasure], str]:
    """The annotated measures in `text`, and the unannotated text left after the last one."""
    measures, cursor = [], 0
    for annotation in find_annotations(text):
        measures.append(_measure(text[cursor : annotation.start], annotation.assignment))
        cursor = annotation.end
    return measures, _clean(text[cursor:])


def _line_text(line: Line) -> str:
    return line.rest if line.level else line.text


def _unannotated_items(lines: list[Line]) -> list[ParsedMeasure]:
    """Without annotations, each sub-item (1.工作目标 / 一是…) is one measure."""
    items: list[list[str]] = []
    for line in lines:
        if line.level or not items:
            items.append([_line_text(line)])
        else:
            items[-1].append(line.text)
    return [_measure("\n".join(item), None) for item in items if _clean("\n".join(item))]


def split_task(raw: RawTask) -> tuple[str, list[ParsedMeasure]]:
    """The task's title (its first sentence) and its measures."""
    title, _, rest = raw.heading.partition("。")
    if find_annotations(title):
        # A one-sentence task that carries its own annotation is its own measure.
        title, rest = _clean(title[: find_annotations(title)[0].start]), raw.heading
    lines = ([Line(rest)] if _clean(rest) else []) + raw.lines
    measures, left_over = annotated_clauses("\n".join(_line_text(line) for line in lines))
    if not measures:
        return title.strip(), _unannotated_items(lines)
    if not measures[0].text:
        # "1.严格落实…评查。(牵头单位:…)": the task's one sentence is its measure.
        measures[0].text = _clean(title)
        measures[0].deadline = measures[0].deadline or measure_deadline(title)
    if _HAS_WORDS.search(left_over):
        measures.append(_measure(left_over, None))
    return title.strip(), measures


def measures_outside_tasks(lines: list[Line]) -> list[ParsedMeasure]:
    """Annotated clauses in the text that belongs to no task (e.g. 保障措施)."""
    return [m for line in lines for m in annotated_clauses(_line_text(line))[0]]
