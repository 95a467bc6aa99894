"""Warnings that point a person at what the parser could not settle."""

from collections import Counter

from .model import Measure, ParsedPlan, ParseWarning


def snippet(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[:length] + "…"


def check_measures(plan: ParsedPlan) -> list[ParseWarning]:
    """Warnings for measures without annotation, tasks without measures, and names seen once."""
    warnings = [
        ParseWarning("no_measures", f"任务{task.number}“{task.title}”没有可分解的措施", None)
        for task in plan.tasks
        if not task.measures
    ]
    measures: list[Measure] = plan.all_measures()
    warnings += [
        ParseWarning("no_annotation", "措施没有标注牵头/配合单位", snippet(m.text))
        for m in measures
        if not (m.lead or m.support)
    ]
    seen = Counter(name for m in measures for name in {*m.lead, *m.support})
    for m in measures:
        warnings += [
            ParseWarning("single_mention", f"单位“{name}”在全文只出现一次，请核对名称", snippet(m.text))
            for name in (*m.lead, *m.support)
            if seen[name] == 1
        ]
    return warnings
