"""Warnings that point a person at what the parser could not settle.

The checks here read only the tasks, measures and phases, so the importer runs
them again on a draft's current rows: a warning follows the office's edits.
"""

from collections import Counter

from .model import ParsedPlan, ParseWarning

# The codes `measure_checks` gives; every other code is about the document itself.
MEASURE_CODES = frozenset({"no_measures", "no_annotation", "no_lead", "single_mention", "no_deadline"})


def snippet(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[:length] + "…"


def measure_checks(plan: ParsedPlan, free_text: bool = True) -> list[tuple[int | None, ParseWarning]]:
    """Tasks without measures, measures without annotation or without a lead,
    names seen once (in free text only: a table's unit columns are not typed
    into sentences), and undated measures in a plan without phases; each
    warning with the index of its measure in `plan.all_measures()` (or None)."""
    found: list[tuple[int | None, ParseWarning]] = [
        (None, ParseWarning("no_measures", f"任务{task.number}“{task.title}”没有可分解的措施", None))
        for task in plan.tasks
        if not task.measures
    ]
    measures = plan.all_measures()
    for index, m in enumerate(measures):
        if not (m.lead or m.support):
            found.append((index, ParseWarning("no_annotation", "措施没有标注牵头/配合单位", snippet(m.text))))
        elif not m.lead:
            found.append((index, ParseWarning("no_lead", "措施只有配合单位，没有牵头单位", snippet(m.text))))
    seen = Counter(name for m in measures for name in {*m.lead, *m.support})
    for index, m in enumerate(measures if free_text else []):
        found += [
            (index, ParseWarning("single_mention", f"单位“{name}”在全文只出现一次，请核对名称", snippet(m.text)))
            for name in (*m.lead, *m.support)
            if seen[name] == 1
        ]
    undated = sum(1 for m in measures if not m.deadline)
    if undated and not any(p.deadline for p in plan.phases):
        # Activation refuses such a plan: nothing says when these measures are due.
        message = f"计划没有推进阶段，{undated} 条措施没有完成时限，启动前需补充阶段或时限"
        found.append((None, ParseWarning("no_deadline", message, None)))
    return found


def check_measures(plan: ParsedPlan, free_text: bool = True) -> list[ParseWarning]:
    return [warning for _, warning in measure_checks(plan, free_text)]
