"""交办通知: what one activation gives a unit, one entry per measure with its checkpoints."""

from datetime import date

from service.plans.parser.outline import without_section_labels


def _cn_day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def by_measure(items: list[dict]) -> list[dict]:
    """One item per measure a unit is given (by its earliest checkpoint), its phases'
    checkpoints inside it as `checkpoints` [{phase_name, due_date}] and all their
    milestones as `milestone_ids`; the link is the earliest checkpoint's."""
    merged: dict[tuple, dict] = {}
    for item in sorted(items, key=lambda i: (i["due_date"], i["milestone_id"])):
        key = (item["plan_title"], item["measure_text"], item["role_label"])
        if key not in merged:
            merged[key] = item | {
                "measure_text": without_section_labels(item["measure_text"]), "checkpoints": [], "milestone_ids": [],
            }
        merged[key]["checkpoints"].append({"phase_name": item["phase_name"], "due_date": _cn_day(item["due_date"])})
        merged[key]["milestone_ids"].append(item["milestone_id"])
    return list(merged.values())
