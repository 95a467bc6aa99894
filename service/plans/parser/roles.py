"""Role rules a document states once, and the words around unit names that are not units.

State Council and ministry documents say who leads in a rule sentence inside
the first annotation — "（发展改革委、财政部负责，排在第一位的为牵头部门，下同）",
"列第一位的为牵头单位", "逗号前为牵头单位，其余为配合单位" — and later
annotations only list units. A rule with 下同, or noted apart from any
annotation, holds for the document (see `noted_rule`); one without 下同 inside
an annotation holds for that annotation. The rule's words are removed before
the units are read, so they never become a unit or stay in a measure.

A note "以下政策措施均需X落实，不再单独列出" makes X responsible for every
later measure (`take_standing`). Vague tails (…等有关部门, 有关部门 alone) name no unit: they are dropped and
reported, so the office may name the units. A date in an annotation
("，2025年6月底前完成") is the measure's deadline, not a unit.

The rule in force and the vague names dropped while one document is parsed
live in a context variable set by `document_rules()`; outside it no document
rule applies.
"""

import contextlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from .chinese import strip_spaces, to_simplified
from .dates import period_end

FIRST_IS_LEAD = "first"
COMMA_SPLITS = "comma"

_ORDINAL = r"(?:排在?|列|名列|排名)?(?:第一位|第一|首位|前面)"
_RULES = (
    (FIRST_IS_LEAD, re.compile(_ORDINAL + r"(?:的|者)?(?:单位|部门)?(?:为|是)牵头(?:单位|部门)")),
    (COMMA_SPLITS, re.compile(r"逗号前(?:的|面的)?(?:为|是)牵头(?:单位|部门)(?:[，,;；]?(?:其余|其他|逗号后)(?:的)?(?:为|是)(?:配合|参与|协办)(?:单位|部门))?")),
)
# Words every rule sentence has, in either script: only lines holding one are read whole.
_RULE_HINT = re.compile(r"第一|首位|逗[号號]前")
# A unit's name before the rule words, as in "（发展改革委、财政部负责，排在第一位的…": an annotation.
_UNIT_BEFORE_RULE = re.compile(r"[委局部办厅院会署行府]")
_IN_FORCE_BELOW = re.compile(r"[，,;；]?下同")
_RULE_PUNCTUATION = "，,;；。 "
_STANDING = re.compile(
    r"以下[\u4e00-\u9fff]{0,12}?均(?:需|须|由|要)([^。；;]{2,80}?)(?:负责)?(?:落实|实施|执行)[，,]?不再(?:单独|一一|逐项|逐一)?列出"
)

# "…，2025年6月底前完成", "2024年底前", "持续推进": a time limit, not a unit.
_DEADLINE_GROUP = re.compile(
    r"^(?:于|在)?(?:\d{4}年[^，,;；]{0,12}|\d{1,2}月[^，,;；]{0,8})(?:前|之前|以前|底|内)?(?:完成|落实|出台|建成|到位)?$"
)
RECURRING = re.compile(r"^(?:持续推进|长期坚持|持续开展|长期|持续|常态化|每年|每季度|每月|每半年|年度|逐年)")

_VAGUE_TAIL = re.compile(r"等(?:其他)?(?:有关|相关)?(?:部门|单位)?$")
# 有关部门, 各有关部门, 市级各有关部门, 州直相关单位, 区政府有关部门, 国务院其他有关部门
_VAGUE_WHOLE = re.compile(r"^[\u4e00-\u9fff]{0,5}?(?:其他|其它)?(?:有关|相关)(?:部门|单位|方面)(?:和单位)?$")


@dataclass
class _DocumentRules:
    rule: str | None = None
    standing: list[str] = field(default_factory=list)  # "以下…均需X落实，不再单独列出": X in every later measure
    year: int | None = None  # the one year a plan's title names, for "6月底前"
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (vague words, annotation)


_CURRENT: ContextVar[_DocumentRules | None] = ContextVar("document_rules", default=None)


def set_plan_year(year: int | None) -> None:
    state = _CURRENT.get()
    if state is not None:
        state.year = year


@contextlib.contextmanager
def document_rules():
    """Collect the rules stated and the vague names dropped while one document is parsed."""
    state = _DocumentRules()
    token = _CURRENT.set(state)
    try:
        yield state
    finally:
        _CURRENT.reset(token)


def take_rule(content: str) -> tuple[str, str | None]:
    """`content` without its rule sentence, and the rule that holds for it.

    A stated rule with 下同 becomes the document's rule from here on.
    """
    state = _CURRENT.get()
    for rule, pattern in _RULES:
        match = pattern.search(content)
        if not match:
            continue
        below = _IN_FORCE_BELOW.match(content, match.end())
        end = below.end() if below else match.end()
        if below and state is not None:
            state.rule = rule
        content = (content[: match.start()].rstrip(_RULE_PUNCTUATION) + "，" + content[end:].lstrip(_RULE_PUNCTUATION)).strip(_RULE_PUNCTUATION)
        return content, rule
    return content, state.rule if state else None


def take_standing(content: str) -> tuple[str, str | None]:
    """`content` without a "以下政策措施均需X落实，不再单独列出" note, and X (a unit list) or None.

    X is then responsible for every later measure too, though not listed there.
    """
    match = _STANDING.search(content)
    if not match:
        return content, None
    return (content[: match.start()] + content[match.end() :]).strip(_RULE_PUNCTUATION), match.group(1)


def set_standing(names: list[str]) -> None:
    state = _CURRENT.get()
    if state is not None and names:
        state.standing = names


def standing_units() -> list[str]:
    state = _CURRENT.get()
    return state.standing if state else []


def noted_rule(text: str) -> str | None:
    """The rule the document states for all its annotations, or None.

    A note ("注：各项任务排在第一位的为牵头单位", a bracket holding nothing but
    the rule) or a rule with 下同. 下同 means "from here on", and the rule's
    annotation comes first in the documents that use it; but parts such as
    总体目标 are read after the tasks, so the rule is in force from the start.
    A rule without 下同 inside an annotation is read with that annotation.
    """
    checked = -1
    for hint in _RULE_HINT.finditer(text):
        start = text.rfind("\n", 0, hint.start()) + 1
        if start == checked:
            continue
        checked, end = start, text.find("\n", hint.end())
        line = strip_spaces(to_simplified(text[start : end if end >= 0 else len(text)]))
        for rule, pattern in _RULES:
            for match in pattern.finditer(line):
                if _IN_FORCE_BELOW.match(line, match.end()) or not _inside_a_list(line, match.start()):
                    return rule
    return None


def _inside_a_list(text: str, position: int) -> bool:
    """Whether the bracket around `position` also names units (一个注释, not a note)."""
    opening = max(text.rfind(char, max(0, position - 300), position) for char in "(（〔〈")
    if opening < 0 or any(char in text[opening:position] for char in ")）〕〉\n"):
        return False
    return bool(_UNIT_BEFORE_RULE.search(text, opening + 1, position))


def is_deadline(group: str) -> bool:
    return bool(_DEADLINE_GROUP.match(group) or RECURRING.match(group))


def deadline_of(group: str) -> str | None:
    """The date of a time limit in an annotation; "6月底完成" is in the plan's own year."""
    if not _DEADLINE_GROUP.match(group):
        return None
    state = _CURRENT.get()
    if not group[0].isdigit() or group[:4].isdigit() or state is None or state.year is None:
        return period_end(group)
    return period_end(f"{state.year}年{group}")


def without_vague(names: list[str], context: str) -> list[str]:
    """The names that name a unit: 等/等有关部门 tails cut, 有关部门 alone dropped (and reported)."""
    kept = []
    for name in names:
        tail = _VAGUE_TAIL.search(name)
        if tail and len(name) - len(tail.group(0)) >= 2:
            if tail.group(0) != "等":
                _report(tail.group(0), context)
            name = name[: tail.start()]
        if _VAGUE_WHOLE.match(name):
            _report(name, context)
            continue
        kept.append(name)
    return kept


def _report(words: str, context: str) -> None:
    state = _CURRENT.get()
    if state is not None:
        state.dropped.append((words, context))
