"""The outline of a plan document: title, headings, sections and tasks.

Headings come in four levels: `一、` (part), `(一)` / `（一）`, `1.` / `1、` / `1．`,
and `一是`. A part whose heading is one of the usual non-task parts
(总体要求, 指导思想, 实施步骤, 保障措施 …) holds no tasks. Inside the other
parts, the tasks are the shallowest numbered items — except that when `1.`
items keep counting across `(一)` groups (1…17 in the Guangzhou plan) the
`(一)` headings are sections and the `1.` items are tasks. Generic labels such
as `1.工作目标` / `(二)工作措施` are never tasks; a part that has nothing but
such labels is itself one task.
"""

import re
from dataclasses import dataclass, field

from .chinese import chinese_number, to_simplified

_CN = "一二三四五六七八九十"
_HEADINGS = (
    (1, re.compile(rf"^([{_CN}]+)、(.*)$")),
    (2, re.compile(rf"^[(（]([{_CN}]+)[)）](.*)$")),
    (3, re.compile(r"^(\d{1,3})(?:[.．、](?!\d)|[)）])(.*)$")),
    (4, re.compile(rf"^([{_CN}]+)是(.*)$")),
)
_NON_TASK_PART = re.compile(
    r"^(总体要求|指导思想|基本原则|(工作|建设|发展|主要|总体|具体)?目标(任务)?|工作思路|(起草)?背景"
    r"|实施步骤|推进时间|时间安排|进度安排|实施安排|步骤安排|(组织|工作)?保障(措施)?|保障机制"
    r"|组织实施|组织领导|工作要求)$"
)
# The labels documents put before a task's parts; not part of what a unit is asked to do.
SECTION_LABELS = (
    "任务目标", "工作目标", "工作要求", "工作支持", "工作措施", "主要措施", "具体措施", "主要任务", "工作任务", "责任单位",
    "完成时限",
)
_LABEL = re.compile(rf"^({'|'.join(SECTION_LABELS)})$")
_PLAN_TITLE = re.compile(
    r"^[^，,。：:；;、《]{2,60}(计划|方案|要点|规划)(\s*[(（][^()（）]{4,20}[)）])?$"
)
_PERIOD = re.compile(r"^[(（][^()（）]*\d{4}[^()（）]*[)）]$")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*[号號]$")
# What `\s` matches (all of it below U+3001), and the byte-order mark: stripped
# from both ends of a line with str.strip, since a `\s+$` pattern is quadratic
# in a run of spaces inside a line.
_EDGE_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\ufeff"


@dataclass
class Line:
    text: str
    level: int | None = None  # heading level, None for a paragraph
    number: int | None = None
    rest: str = ""  # heading text without its numbering

    @property
    def simple_title(self) -> str:
        return to_simplified(first_sentence(self.rest))


@dataclass
class RawTask:
    """A task before its measures are read: its heading and the lines under it."""

    number: str
    heading: str
    section: str | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Outline:
    title: str | None = None
    doc_number: str | None = None
    tasks: list[RawTask] = field(default_factory=list)
    loose_lines: list[Line] = field(default_factory=list)  # body text outside every task
    body: list[Line] = field(default_factory=list)


def first_sentence(text: str) -> str:
    return text.split("。", 1)[0].strip()


def read_line(text: str) -> Line:
    for level, pattern in _HEADINGS:
        match = pattern.match(text)
        if match and match.group(2).strip():
            number = match.group(1)
            value = int(number) if number.isdigit() else chinese_number(number)
            return Line(text, level, value, match.group(2).strip())
    return Line(text)


def _is_label(line: Line) -> bool:
    return bool(_LABEL.match(line.simple_title))


def _find_title(lines: list[str]) -> tuple[str | None, int]:
    """The last plan-title line and the index where the plan body starts.

    A document can carry a cover letter or last year's summary before the plan
    itself; everything up to the plan's own title line is left out.
    """
    title, start = None, 0
    for index, text in enumerate(lines):
        if _PLAN_TITLE.match(to_simplified(text)) and read_line(text).level is None and not text.startswith("附件"):
            title, start = text, index + 1
            if start < len(lines) and _PERIOD.match(lines[start]):
                title, start = title + lines[start], start + 1
    return title, start


def _doc_number(lines: list[str]) -> str | None:
    return next((text for text in lines if _DOC_NUMBER.match(text)), None)


def _split_parts(body: list[Line]) -> list[tuple[Line | None, list[Line]]]:
    parts: list[tuple[Line | None, list[Line]]] = [(None, [])]
    for line in body:
        if line.level == 1:
            parts.append((line, []))
        else:
            parts[-1][1].append(line)
    return [(heading, lines) for heading, lines in parts if heading or lines]


def _levels(lines: list[Line]) -> tuple[int | None, int | None]:
    """(section level, task level) inside one part."""
    items = [line for line in lines if line.level and not _is_label(line)]
    levels = {line.level for line in items}
    if not levels:
        return None, None
    numbers = [line.number for line in items if line.level == 3]
    keeps_counting = numbers == sorted(set(numbers)) and len(numbers) > 1
    if 2 in levels and 3 in levels and keeps_counting:
        return 2, 3
    return None, min(levels)


def _collect_tasks(part: Line | None, lines: list[Line], outline: Outline) -> None:
    section_level, task_level = _levels(lines)
    section = part.rest.rstrip("。") if part else None
    if task_level is None and part is not None:
        # A part with no numbered items of its own (only 任务目标/工作措施) is one task.
        outline.tasks.append(RawTask(str(part.number), part.rest, section, lines))
        return
    task = None
    for line in lines:
        if task_level and line.level and line.level <= task_level:
            task = None
            if _is_label(line):
                pass
            elif line.level == section_level:
                section = line.rest.rstrip("。")
            elif line.level == task_level:
                task = RawTask(str(line.number), line.rest, section)
                outline.tasks.append(task)
            continue
        (task.lines if task else outline.loose_lines).append(line)


def read_outline(text: str) -> Outline:
    lines = [raw.strip(_EDGE_SPACE) for raw in text.splitlines()]
    lines = [line for line in lines if line]
    title, start = _find_title(lines)
    outline = Outline(title=title, doc_number=_doc_number(lines))
    outline.body = [read_line(text) for text in lines[start:]]
    parts = _split_parts(outline.body)
    has_parts = any(heading for heading, _ in parts)
    for heading, part_lines in parts:
        holds_tasks = (
            heading is not None and not _NON_TASK_PART.match(heading.simple_title)
        ) or (heading is None and not has_parts)
        if holds_tasks:
            _collect_tasks(heading, part_lines, outline)
        else:
            outline.loose_lines.extend(part_lines)
    return outline


_SECTION_LABEL_IN_TEXT = re.compile(rf"(^|(?<=[。；;\n]))\s*(?:{'|'.join(SECTION_LABELS)})\s*[：:]\s*")


def without_section_labels(text: str) -> str:
    """A measure as a unit reads it: "任务目标：…。工作措施：…" without the document's labels."""
    return _SECTION_LABEL_IN_TEXT.sub("", text).strip()
