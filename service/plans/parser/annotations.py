"""Responsibility annotations: who leads and who supports a measure.

Two forms are recognised, in ASCII or full-width punctuation and in either script,
wrapped in (…), （…）, 〔…〕 or 〈…〉:
- role suffixes: `(市知識產權局、編辦牽頭,市委改革辦,市發展改革委、工商局配合)`;
  names without a role belong to the next role in the list, and after a 牵头
  group the names that follow (`A牵头，B、C按职责分工负责`, `A牵头，B、C`) support;
- labels: `牵头单位：…；配合单位：…`, `责任单位：A（牵头），B、C` or `责任单位：…`,
  in parentheses or written after the measure (label lines in a row are one annotation).
A role rule the document states (`排在第一位的为牵头部门，下同`, see roles.py)
reads annotations that only list units. Parentheses that do not read as an
annotation — (廣東), (北斗), (設在市知識產權局) — are ordinary text.
"""

import re
from dataclasses import dataclass, field

from .brackets import bracket_spans, split_outside
from .chinese import strip_spaces, to_simplified
from .names import simple_department_list
from .roles import COMMA_SPLITS, deadline_of, is_deadline, set_standing, standing_units, take_rule, take_standing

_LEAD_SUFFIX = ("牵头负责", "牵头", "负责")
_SUPPORT_SUFFIX = ("配合", "参与", "协同", "协办")
# "按职责分工负责", "分别负责": the rule's words go with the role word, never into a name.
_ROLE_SUFFIX = re.compile(
    r"^(.*?)(?:按照?职责分工|按照?职能分工|按照?职责|分别|共同)?(" + "|".join(_LEAD_SUFFIX + _SUPPORT_SUFFIX) + r")$"
)
_LEAD_MARK = re.compile(r"[(（〔](牵头|牵头单位|主办)[)）〕]")

_LABEL_WORDS = r"(?:牵头责任|协同责任|配合责任|牵头|责任|主责|主办|配合|协办|参与|协同)(?:单位|部门)"
_LABEL = re.compile(r"(" + _LABEL_WORDS + r")[:：]")
_GROUP_SEPARATORS = "，,;；"
# Written in both scripts because this one is searched in the original text.
_LABEL_IN_TEXT = re.compile(
    r"(?:牵头责任|牽頭責任|协同责任|協同責任|牵头|牽頭|责任|責任|主责|主責|主办|主辦|配合|协办|協辦|参与|參與|协同|協同)"
    r"(?:单位|單位|部门|部門)[:：][^。\n]{0,300}"
)
_BETWEEN_LABELS = re.compile(r"^[\s。；;，,]*$")
# A unit's name ends in the word for a body; a bracket under a document rule lists nothing else.
_UNIT_END = re.compile(r"(?:[委局部办厅院会署行所处室司府团队站社校联关组台馆]|中心|街道|乡镇|地区|单位|[省市区县州])$")


@dataclass
class ParsedAssignment:
    """The lead and support departments named by one annotation."""

    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    deadline: str | None = None  # "，2025年6月底前完成" inside the annotation


@dataclass
class Annotation:
    start: int
    end: int
    assignment: ParsedAssignment


def _role_is_lead(word: str) -> bool:
    return word.startswith(("牵头", "负责", "责任", "主责", "主办"))


def _add(assignment: ParsedAssignment, lead: bool, names: list[str]) -> None:
    target = assignment.lead if lead else assignment.support
    target.extend(name for name in names if name not in target)


def _groups(content: str, assignment: ParsedAssignment) -> list[str]:
    """The 、-lists of an annotation; a time limit among them goes to the assignment."""
    groups = []
    for group in split_outside(content, _GROUP_SEPARATORS):
        if is_deadline(group):
            assignment.deadline = assignment.deadline or deadline_of(group)
        elif group:
            groups.append(group)
    return groups


def _looks_like_unit(name: str) -> bool:
    if name.endswith(("〕", ")", "）")):  # 市委组织部〔市人才办〕: the body is named before the bracket
        name = name[: max(name.rfind("〔"), name.rfind("("), name.rfind("（"))]
    return bool(_UNIT_END.search(name))


def _by_rule(groups: list[list[str]], rule: str, assignment: ParsedAssignment) -> ParsedAssignment | None:
    names = [name for group in groups for name in group]
    if not names or not all(_looks_like_unit(name) for name in names):
        return None
    first = groups[0] if rule == COMMA_SPLITS else names[:1]
    _add(assignment, True, first)
    _add(assignment, False, [name for name in names if name not in first])
    return assignment


def _parse_suffix_form(content: str, rule: str | None = None, context: str = "") -> ParsedAssignment | None:
    assignment = ParsedAssignment()
    parsed: list[tuple[str | None, list[str]]] = []
    for group in _groups(content, assignment):
        match = _ROLE_SUFFIX.match(group)
        role, names = (match.group(2), match.group(1)) if match else (None, group)
        parsed.append((role, simple_department_list(names, context)))
    leads_named = any(role and role.startswith("牵头") for role, _ in parsed)
    if rule and not leads_named and all(role in (None, "负责") for role, _ in parsed):
        return _by_rule([names for _, names in parsed if names], rule, assignment)
    pending, saw_role = [], False
    for role, names in parsed:
        if role is None:
            pending += names
            continue
        names, pending = pending + names, []
        if not names:
            return None
        # After "A牵头", "B、C负责" (按职责分工负责) are the units that work with the lead.
        _add(assignment, role.startswith("牵头") or (role == "负责" and not leads_named), names)
        saw_role = True
    if pending and leads_named:
        _add(assignment, False, pending)
        pending = []
    return assignment if saw_role and not pending else None


def _parse_label_form(content: str, rule: str | None, context: str) -> ParsedAssignment | None:
    pieces = _LABEL.split(content)
    # pieces = [before, label, names, label, names, ...]; text before the first label is not allowed
    if len(pieces) < 3 or pieces[0].strip("，,;；。 "):
        return None
    assignment = ParsedAssignment()
    # After 牵头单位：…, the 责任单位 are the units that work with the lead.
    leads_named = any(label.startswith(("牵头", "主办")) for label in pieces[1::2])
    for label, names in zip(pieces[1::2], pieces[2::2]):
        names = names.strip("，,;；。 ")
        nested = _parse_suffix_form(names, None, context)
        if nested and (nested.lead or nested.support):
            _add(assignment, True, nested.lead)
            _add(assignment, False, nested.support)
            assignment.deadline = assignment.deadline or nested.deadline
            continue
        groups = [simple_department_list(group, context) for group in _groups(names, assignment)]
        if rule and label.startswith("责任") and not leads_named and _by_rule(groups, rule, assignment):
            continue
        lead = _role_is_lead(label) and not (leads_named and label.startswith("责任"))
        _add(assignment, lead, [name for group in groups for name in group])
    return assignment if assignment.lead or assignment.support else None


def parse_assignment(content: str) -> ParsedAssignment | None:
    """The assignment written in `content` (without parentheses), or None if it is plain text."""
    simple = strip_spaces(to_simplified(content))
    if "牵头" in simple or "主办" in simple:
        simple = _LEAD_MARK.sub(r"\1，", simple)  # "A（牵头）、B": the mark ends the lead group
    simple, rule = take_rule(simple)
    simple, standing = take_standing(simple)
    if standing:
        set_standing(simple_department_list(standing, content))
    if _LABEL.search(simple):
        assignment = _parse_label_form(simple, rule, content)
    else:
        assignment = _parse_suffix_form(simple, rule, content)
    if assignment:
        # Units a note made responsible for every later measure: lead where the annotation names no support.
        listed = assignment.lead + assignment.support
        _add(assignment, not assignment.support, [name for name in standing_units() if name not in listed])
    return assignment


def _merged(found: list[Annotation], text: str) -> list[Annotation]:
    """Label lines that follow each other (牵头单位：… / 配合单位：…) are one annotation."""
    merged: list[Annotation] = []
    for annotation in found:
        previous = merged[-1] if merged else None
        if previous and _BETWEEN_LABELS.match(text[previous.end : annotation.start]):
            _add(previous.assignment, True, annotation.assignment.lead)
            _add(previous.assignment, False, annotation.assignment.support)
            previous.assignment.deadline = previous.assignment.deadline or annotation.assignment.deadline
            previous.end = annotation.end
        else:
            merged.append(annotation)
    return merged


def find_annotations(text: str) -> list[Annotation]:
    """All annotations in `text`, in order, with their character spans."""
    found = []
    for start, end in bracket_spans(text):
        assignment = parse_assignment(text[start + 1 : end - 1])
        if assignment:
            found.append(Annotation(start, end, assignment))
    for match in _LABEL_IN_TEXT.finditer(text):
        inside_brackets = any(a.start <= match.start() < a.end for a in found)
        assignment = None if inside_brackets else parse_assignment(match.group(0))
        if assignment:
            found.append(Annotation(match.start(), match.end(), assignment))
    return _merged(sorted(found, key=lambda a: a.start), text)
