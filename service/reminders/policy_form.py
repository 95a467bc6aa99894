"""The reminder policy as an HTML form edits it: fields in, the policy's JSON
form out, validated by `policy_from_json` like the API's PUT, with messages
that name the step and field in words an office clerk reads.

Form fields (n = row number): step-n-side (before | on | after; empty: row not
used), step-n-count, step-n-unit, step-n-level, step-n-repeat, step-n-audience
and step-n-channel (repeated; no channel ticked means every channel);
unack-on / unack-after_workdays, early-on / early-share (percent),
progress-on / progress-day_of_month / progress-workdays_before /
progress-weekly_cap, each with its -audience and -channel; link_reporting.
"""

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from notifiers import CHANNEL_TYPES
from service.auth.actor import Actor
from service.errors import Invalid
from service.plans.models import Plan
from service.reminders.policy import (
    AUDIENCES,
    DUPLICATE_STEPS,
    ONLY_LAST_REPEATS,
    EarlyWarning,
    Nudge,
    Policy,
    ProgressRequests,
    Step,
    Unacknowledged,
    names_message,
)
from service.reminders.service import set_policy

SIDES = {"before": -1, "on": 0, "after": 1}
NUDGE_LABELS = {"unacknowledged": "未签收提醒", "early_warning": "进度预警", "progress": "进展催报"}
FIELD_LABELS = {
    "offset": "天数", "unit": "计数方式", "audiences": "发送对象", "channels": "渠道", "level": "颜色等级",
    "repeat_every": "重复间隔", "after_workdays": "签收期限", "share": "剩余时间比例",
    "day_of_month": "每月报送日", "workdays_before": "提前工作日数", "weekly_cap": "每周条数上限",
}
_WHERE = re.compile(r"(steps\[(\d+)\]|unacknowledged|early_warning|progress)\.(\w+)")
Fields = Mapping[str, list[str]]


def _one(fields: Fields, name: str) -> str:
    values = fields.get(name) or [""]
    return values[-1].strip()


def _number(fields: Fields, name: str, label: str, *, blank: int | None = None) -> int | None:
    raw = _one(fields, name)
    if not raw:
        if blank is None:
            raise Invalid(f"{label}不能为空")
        return blank
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"{label}必须是整数，而不是“{raw}”") from None


def _targets(fields: Fields, prefix: str) -> dict:
    return {
        "audiences": list(fields.get(f"{prefix}-audience") or []),
        # Nothing ticked means every channel type.
        "channels": list(fields.get(f"{prefix}-channel") or []) or None,
    }


def step_rows(fields: Fields) -> list[int]:
    """The ladder's row numbers in a form, used or not, in order."""
    return sorted({int(m.group(1)) for key in fields if (m := re.fullmatch(r"step-(\d+)-side", key))})


def _used_rows(fields: Fields) -> list[int]:
    return [n for n in step_rows(fields) if _one(fields, f"step-{n}-side")]


def policy_from_form(fields: Fields) -> dict:
    """The policy's JSON form; Invalid for input that is not even a number."""
    steps = []
    for position, n in enumerate(_used_rows(fields), start=1):
        side = _one(fields, f"step-{n}-side")
        if side not in SIDES:
            raise Invalid(f"第 {position} 步：请选择到期前、到期当天或逾期后")
        count = 0 if side == "on" else _number(fields, f"step-{n}-count", f"第 {position} 步的天数")
        if count < 0:
            raise Invalid(f"第 {position} 步的天数不能是负数：到期前或逾期后请在左侧选择")
        steps.append({
            "offset": SIDES[side] * count,
            "unit": _one(fields, f"step-{n}-unit") or "workdays",
            "level": _one(fields, f"step-{n}-level") or "blue",
            "repeat_every": _number(fields, f"step-{n}-repeat", f"第 {position} 步的重复间隔", blank=0) or None,
            **_targets(fields, f"step-{n}"),
        })
    if not steps:
        raise Invalid("催办阶梯至少需要一步")
    data: dict = {"steps": steps, "unacknowledged": None, "early_warning": None, "progress": None}
    if _one(fields, "unack-on"):
        data["unacknowledged"] = {
            "after_workdays": _number(fields, "unack-after_workdays", "未签收提醒的签收期限"), **_targets(fields, "unack")
        }
    if _one(fields, "early-on"):
        percent = _number(fields, "early-share", "进度预警的剩余时间比例")
        if not 0 < percent < 100:
            raise Invalid("进度预警的剩余时间比例必须在 1% 到 99% 之间")
        data["early_warning"] = {"share": percent / 100, **_targets(fields, "early")}
    if _one(fields, "progress-on"):
        data["progress"] = {
            "day_of_month": _number(fields, "progress-day_of_month", "进展催报的每月报送日"),
            "workdays_before": _number(fields, "progress-workdays_before", "进展催报的提前工作日数"),
            "weekly_cap": _number(fields, "progress-weekly_cap", "进展催报的每周条数上限"),
            **_targets(fields, "progress"),
        }
    return data


def _nudge_fields(prefix: str, nudge: Nudge) -> dict[str, list[str]]:
    return {f"{prefix}-audience": list(nudge.audiences), f"{prefix}-channel": list(nudge.channels or [])}


def form_from_policy(policy: Policy, link_reporting: bool, *, blank_steps: int) -> dict[str, list[str]]:
    """The form's fields showing a policy, with `blank_steps` unused rows under its
    ladder: what `policy_from_form` reads back as the same policy. A nudge that is
    off shows its defaults, ready to be switched on."""
    fields: dict[str, list[str]] = {}
    blank = Step(offset=0)
    rows = [(step, "before" if step.offset < 0 else "on" if step.offset == 0 else "after") for step in policy.steps]
    for n, (step, side) in enumerate(rows + [(blank, "")] * blank_steps):
        fields |= {
            f"step-{n}-side": [side],
            f"step-{n}-count": [str(abs(step.offset)) if side in ("before", "after") else ""],
            f"step-{n}-unit": [step.unit],
            f"step-{n}-level": [step.level],
            f"step-{n}-repeat": [str(step.repeat_every) if step.repeat_every else ""],
            f"step-{n}-audience": list(step.audiences),
            f"step-{n}-channel": list(step.channels or []),
        }
    unack = policy.unacknowledged or Unacknowledged()
    early = policy.early_warning or EarlyWarning()
    progress = policy.progress or ProgressRequests()
    return fields | {
        "unack-on": ["1"] if policy.unacknowledged else [],
        "unack-after_workdays": [str(unack.after_workdays)],
        **_nudge_fields("unack", unack),
        "early-on": ["1"] if policy.early_warning else [],
        "early-share": [str(round(early.share * 100))],
        **_nudge_fields("early", early),
        "progress-on": ["1"] if policy.progress else [],
        "progress-day_of_month": [str(progress.day_of_month)],
        "progress-workdays_before": [str(progress.workdays_before)],
        "progress-weekly_cap": [str(progress.weekly_cap)],
        **_nudge_fields("progress", progress),
        "link_reporting": ["1"] if link_reporting else [],
    }


_FORM_WORDS = {
    DUPLICATE_STEPS: "催办阶梯中有两步落在同一天（天数和计数方式都相同）",
    ONLY_LAST_REPEATS: "只有最后一步（逾期最久的一步）可以设置重复",
    names_message(AUDIENCES): "至少要选择一个",
    names_message(CHANNEL_TYPES): "取值不正确",
}


def explain(message: str) -> str:
    """`policy_from_json`'s message with its field paths in words ("steps[2].offset" → "第 3 步的天数")."""

    def words(match: re.Match) -> str:
        where = f"第 {int(match.group(2)) + 1} 步" if match.group(2) else NUDGE_LABELS[match.group(1)]
        return f"{where}的{FIELD_LABELS.get(match.group(3), match.group(3))}"

    message = _WHERE.sub(words, message)
    for api_words, form_words in _FORM_WORDS.items():
        message = message.replace(api_words, form_words)
    return message


def set_policy_from_form(
    session: Session, actor: Actor, plan: Plan, fields: Fields, *, now: datetime
) -> Policy:
    """Save the form through the API's validation (`set_policy`)."""
    actor.require_admin_of(plan.office_id)
    link_reporting = bool(_one(fields, "link_reporting"))
    try:
        return set_policy(session, actor, plan, policy_from_form(fields), link_reporting=link_reporting, now=now)
    except Invalid as exc:
        raise Invalid(explain(exc.message)) from None
