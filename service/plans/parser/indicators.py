"""Indicators (指标) in a plan's text: quantitative targets and their dates.

A clause (text between ，；。：) is an indicator when it holds a number with a
unit and says it is a target:
- "达到/达/突破/提升至 N件", "N家以上" → at_least; "控制在N以内", "N以下" →
  at_most; "保持在/稳定在 N" → equal;
- "年均增长N%以上" (增幅, 增速, 较上年度增长 …) → growth_rate_at_least;
- a bare "发明专利授权55件" only in a target context: after a date such as
  "到2025年", "2025年，", "截至2019年" in the same paragraph, after "力争",
  or anywhere under a heading that names a 目标 (建设目标, 主要目标 …).
A date phrase dates the clauses after it in its paragraph; under a 目标
heading it dates the rest of that heading's block, since plans state the
horizon once ("到2020年底，…") and list the figures in the paragraphs below.

An indicator written inside an annotated measure belongs to that measure's
lead department ("…评议率达到80%(市知識產權局牽頭,…配合)" → 市知识产权局); a
headline target without one takes the lead of the measure that restates it.

Reported actuals are not targets: a sentence with 同比 is skipped, and so is a
value with two or more decimals (91.02%, 3.29件): targets are round figures,
statistics are not. The caller passes only the plan body, so a cover letter
or last year's summary before the plan's own title is never read.
"""

import math
import re
from collections.abc import Iterable
from difflib import SequenceMatcher

from .annotations import Annotation, find_annotations
from .chinese import to_simplified
from .dates import period_end
from .model import ParsedIndicator
from .outline import Line, first_sentence

_UNITS = "人次|家次|个百分点|件|家|人|项|个|元|所|次|部|篇|户|名|台|套|座|条|场|批|亩|吨"
# A figure has at most 12 digits before its point: a longer run is no target,
# and float() makes an infinity of one of over 308 digits.
_VALUE = re.compile(rf"(?<![\d.])(\d{{1,12}}(?:\.\d+)?)\s*((?:[万亿千百])?(?:{_UNITS})|[%％])")
_DIGIT = re.compile(r"\d")
_STRIVE = ("力争", "力爭")
_SENTENCES = re.compile(r"[。；;！!？?]")
_CLAUSES = re.compile(r"[，,：:]")
# Dates that set a horizon: "到2025年", "截至2019年底" anywhere; "2025年", "2015年度",
# "2018年底前" only at a clause's start (a plain "2014年有…" reports the past).
_DATED = re.compile(r"(?:到|至|截至|截止到?)\s*\d{4}\s*年(?:\s*\d{1,2}\s*月)?\s*(?:底|末)?\s*(?:以前|之前|前)?")
_LEADING_YEAR = re.compile(r"^\d{4}\s*年(?:\s*\d{1,2}\s*月)?\s*(?:度|底前|底|末|以前|之前|前|$)")
_GROWTH = re.compile(r"(?:年均|年平均|每年|较上一?年度?|比上一?年度?)?(?:增长率?|增幅|增速)(?:达到|达|为)?$")
_GROWTH_FORWARD = re.compile(r"年均|年平均|每年|较上|比上")
_AT_MOST = re.compile(r"(?:控制在|不超过|不高于|降至|降低到|降低至|下降到|下降至|低于)$")
_EQUAL = re.compile(r"(?:保持在|稳定在|维持在)$")
_AT_LEAST = re.compile(
    r"(?:分别)?(?:达到|达|突破|超过|不少于|不低于|提升至|提升到|提高到|提高至|增加到|增加至|增至|增长到|增长至)$"
)
_NAME_NOISE = re.compile(
    rf"^(?:{_DATED.pattern}|\d{{4}}\s*年(?:\s*\d{{1,2}}\s*月)?\s*(?:度|底前|底|末|以前|之前|前)?"
    r"|力争|确保|争取|其中|并且|并|同时|使|——|[\s“”\"'])+"
)
_ANNOTATION = re.compile(r"[(（].*$")
# Names this alike with the same figure are one target said twice.
_SAME_NAME_RATIO = 0.5
# After "N家以上" these begin an attribute ("1000件以上的代理机构"), not more of the name.
_ATTRIBUTE_START = ("的", "、", "至", "和", "或")


def as_number(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):  # "nan", "inf", "1e999" parse as floats but are no figure
        raise ValueError(text)
    return int(value) if value.is_integer() else value


def _is_statistic(value: str) -> bool:
    return len(value.partition(".")[2]) >= 2


def _without_unclosed(text: str) -> str:
    """`text` up to a parenthesis it opens and does not close (the start of the
    clause's annotation); found by scanning, as a `[(（][^)）]*$` pattern is
    quadratic in a run of opening parentheses."""
    closed = max(text.rfind(")"), text.rfind("）"))
    opened = [i for i in (text.find("(", closed + 1), text.find("（", closed + 1)) if i >= 0]
    return text[: min(opened)] if opened else text


def _horizon(simple: str) -> str | None:
    match = _LEADING_YEAR.match(simple) or _DATED.search(simple)
    return period_end(match.group(0)) if match else None


def _clean(name: str) -> str:
    return _NAME_NOISE.sub("", name).rstrip("的，,").strip()


def _names(subject: str, count: int) -> list[str]:
    """Names for "A、B拥有量分别达到6.8件、3.2件": B's tail (拥有量) completes A too."""
    parts = subject.split("、")
    if count == 1 or len(parts) != count:
        return [subject] * count
    last = parts[-1]
    for size in range(min(len(parts[0]), len(last)), 1, -1):
        core = parts[0][-size:]
        if core in last:
            tail = last[last.rindex(core) + size :]
            return [part if part.endswith(tail) else part + tail for part in parts[:-1]] + [last]
    return parts


def _values(simple: str) -> tuple[list[re.Match], int] | None:
    """The first value and any joined to it by 、 ("6.8件、3.2件"), and where they end."""
    first = _VALUE.search(simple)
    if first is None:
        return None
    found, end = [first], first.end()
    while simple[end : end + 1] == "、":
        more = _VALUE.match(simple, end + 1)
        if more is None:
            break
        found.append(more)
        end = more.end()
    return found, end


def read_clause(original: str, simple: str, *, date: str | None, target: bool) -> list[ParsedIndicator]:
    """The indicators in one clause; `simple` is the clause in Simplified Chinese."""
    located = _values(simple)
    if located is None:
        return []
    values, end = located
    if any(_is_statistic(v.group(1)) for v in values):
        return []
    prefix, suffix = simple[: values[0].start()], _ANNOTATION.sub("", simple[end:])
    bound = None
    if suffix.startswith("以上"):
        bound, suffix = "at_least", suffix[2:]
    elif suffix.startswith(("以下", "以内")):
        bound, suffix = "at_most", suffix[2:]
    suffix = suffix.removeprefix("左右").strip()
    percent = values[0].group(2) in ("%", "％")
    verb, comparison = None, bound
    if percent and (verb := _GROWTH.search(prefix)):
        if not (bound or target or _GROWTH_FORWARD.search(verb.group(0))):
            return []
        comparison = "growth_rate_at_least"
    elif verb := _AT_MOST.search(prefix):
        comparison = "at_most"
    elif verb := _EQUAL.search(prefix):
        comparison = "equal"
    elif verb := _AT_LEAST.search(prefix):
        comparison = bound or "at_least"
    subject = prefix[: verb.start()] if verb else prefix
    if suffix:
        # Only "支持3家以上机构做大做强" reads on past its value: the rest is the name.
        if verb or bound is None or suffix.startswith(_ATTRIBUTE_START):
            return []
        subject += suffix
    if comparison is None:
        if not target:
            return []
        comparison = "at_least"  # a target's bare figure is a level to reach
    subject = _clean(subject)
    if not subject:
        return []
    text = _without_unclosed(original).strip()
    return [
        ParsedIndicator(
            name=name,
            target_value=as_number(value.group(1)),
            unit="%" if value.group(2) in ("%", "％") else value.group(2),
            comparison=comparison,
            target_date=date,
            text=text,
        )
        for name, value in zip(_names(subject, len(values)), values)
    ]


def _is_target_heading(line: Line) -> bool:
    return "目标" in to_simplified(first_sentence(line.rest))


def _restates(later: ParsedIndicator, earlier: ParsedIndicator) -> bool:
    """A measure that repeats a dated headline target ("全市通过贯标认证的单位达到1600家以上")."""
    return (
        later.target_date is None
        and earlier.target_date is not None
        and (later.target_value, later.unit, later.comparison)
        == (earlier.target_value, earlier.unit, earlier.comparison)
        and SequenceMatcher(None, later.name, earlier.name).ratio() >= _SAME_NAME_RATIO
    )


def _pieces(separators: re.Pattern, text: str, start: int = 0) -> Iterable[tuple[int, str]]:
    """The parts of `text` between one-character separators, each with its offset."""
    for part in separators.split(text):
        yield start, part
        start += len(part) + 1


class _Leads:
    """Who leads the measure around a place in one line: the first lead of the
    first annotation that ends after it, since an annotation closes its measure."""

    def __init__(self, text: str):
        self.text = text
        self.annotations: list[Annotation] | None = None

    def at(self, position: int) -> str | None:
        if self.annotations is None:  # read only for the few lines that hold an indicator
            self.annotations = find_annotations(self.text)
        closing = next((a for a in self.annotations if a.end > position), None)
        return closing.assignment.lead[0] if closing and closing.assignment.lead else None


# A plan states tens of targets. Each one read is compared with those kept before
# it, so past this many (a pasted table of statistics, or a hostile text) the
# rest is not read: the work stays bounded.
MAX_INDICATORS = 500


def extract_indicators(lines: Iterable[Line]) -> list[ParsedIndicator]:
    """Every indicator in the plan body's lines, in document order, each target
    once; the first `MAX_INDICATORS` read."""
    found: list[ParsedIndicator] = []
    budget = MAX_INDICATORS
    block_target, block_date = False, None
    for line in lines:
        if line.level:
            block_target, block_date = _is_target_heading(line), None
        if not _DIGIT.search(line.rest if line.level else line.text):
            continue  # no figure and no date (most of a plan's lines): nothing to read or to carry
        date, target = block_date, block_target
        leads = _Leads(line.text)
        for sentence_start, sentence in _pieces(_SENTENCES, line.text):
            if "同比" in sentence:  # written alike in both scripts
                continue
            for start, clause in _pieces(_CLAUSES, sentence, sentence_start):
                # Converting is most of the cost; a clause without digits can only say 力争.
                if not _DIGIT.search(clause):
                    target = target or any(word in clause for word in _STRIVE)
                    continue
                simple = to_simplified(clause)
                horizon = _horizon(simple)
                if horizon:
                    date, target = horizon, True
                target = target or "力争" in simple
                for indicator in read_clause(clause.strip(), simple.strip(), date=date, target=target):
                    if budget == 0:
                        return found
                    budget -= 1
                    indicator.department = leads.at(start)
                    earlier = next((e for e in found if _restates(indicator, e)), None)
                    if earlier is None:
                        found.append(indicator)
                    elif earlier.department is None:
                        earlier.department = indicator.department
        if block_target:
            block_date = date
    return found
