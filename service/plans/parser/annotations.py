"""Responsibility annotations: who leads and who supports a measure.

Two forms are recognised, in ASCII or full-width punctuation and in either script:
- role suffixes: `(市知識產權局、編辦牽頭,市委改革辦,市發展改革委、工商局配合)`;
  names without a role belong to the next role in the list;
- labels: `牵头单位：…；配合单位：…` or `责任单位：…`, in parentheses or
  written after the measure.
Parentheses that do not read as an annotation — (廣東), (北斗),
(設在市知識產權局) — are ordinary text.
"""

import re
from dataclasses import dataclass, field

from .chinese import strip_spaces, to_simplified
from .names import department_list

_PARENTHESISED = re.compile(r"[(（]([^()（）]{1,300})[)）]")

_LEAD_SUFFIX = ("牵头负责", "牵头", "负责")
_SUPPORT_SUFFIX = ("配合", "参与", "协同", "协办")
_ROLE_SUFFIX = re.compile(r"^(.*?)(" + "|".join(_LEAD_SUFFIX + _SUPPORT_SUFFIX) + r")$")

_LABEL_WORDS = r"(?:牵头|责任|主责|配合|协办|参与|协同)(?:单位|部门)"
_LABEL = re.compile(r"(" + _LABEL_WORDS + r")[:：]")
_GROUP_SEPARATORS = re.compile(r"[,，;；]")
# Written in both scripts because this one is searched in the original text.
_LABEL_IN_TEXT = re.compile(
    r"(?:牵头|牽頭|责任|責任|主责|主責|配合|协办|協辦|参与|參與)(?:单位|單位|部门|部門)[:：][^。\n]*"
)


@dataclass
class Assignment:
    """The lead and support departments named by one annotation."""

    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)


@dataclass
class Annotation:
    start: int
    end: int
    assignment: Assignment


def _role_is_lead(word: str) -> bool:
    return word.startswith(("牵头", "负责", "责任", "主责"))


def _add(assignment: Assignment, lead: bool, names: list[str]) -> None:
    target = assignment.lead if lead else assignment.support
    target.extend(name for name in names if name not in target)


def _parse_suffix_form(content: str) -> Assignment | None:
    assignment, pending, saw_role = Assignment(), [], False
    for group in _GROUP_SEPARATORS.split(content):
        match = _ROLE_SUFFIX.match(group)
        if not match:
            pending += department_list(group)
            continue
        names = pending + department_list(match.group(1))
        if not names:
            return None
        _add(assignment, _role_is_lead(match.group(2)), names)
        pending, saw_role = [], True
    return assignment if saw_role and not pending else None


def _parse_label_form(content: str) -> Assignment | None:
    pieces = _LABEL.split(content)
    # pieces = [before, label, names, label, names, ...]; text before the first label is not allowed
    if len(pieces) < 3 or pieces[0].strip("，,;；。 "):
        return None
    assignment = Assignment()
    for label, names in zip(pieces[1::2], pieces[2::2]):
        names = names.strip("，,;；。 ")
        nested = _parse_suffix_form(names)
        if nested:
            _add(assignment, True, nested.lead)
            _add(assignment, False, nested.support)
        else:
            split = [n for part in _GROUP_SEPARATORS.split(names) for n in department_list(part)]
            _add(assignment, _role_is_lead(label), split)
    return assignment if assignment.lead or assignment.support else None


def parse_assignment(content: str) -> Assignment | None:
    """The assignment written in `content` (without parentheses), or None if it is plain text."""
    simple = strip_spaces(to_simplified(content))
    if _LABEL.search(simple):
        return _parse_label_form(simple)
    return _parse_suffix_form(simple)


def find_annotations(text: str) -> list[Annotation]:
    """All annotations in `text`, in order, with their character spans."""
    found = []
    for match in _PARENTHESISED.finditer(text):
        assignment = parse_assignment(match.group(1))
        if assignment:
            found.append(Annotation(match.start(), match.end(), assignment))
    for match in _LABEL_IN_TEXT.finditer(text):
        inside_parentheses = any(a.start <= match.start() < a.end for a in found)
        assignment = None if inside_parentheses else parse_assignment(match.group(0))
        if assignment:
            found.append(Annotation(match.start(), match.end(), assignment))
    return sorted(found, key=lambda a: a.start)
