"""操作记录: the audit log of the office (and its districts), newest first, with filters."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifiers import CHANNEL_LABELS
from service.assessment.models import AssessmentResult, AssessmentScheme
from service.audit.models import AuditEvent
from service.audit.trail import ACTION_LABELS, ENTITY_LABELS, list_events
from service.auth.actor import Actor
from service.auth.models import User
from service.bulletins.models import NOTICE_COLOURS
from service.delivery.models import Channel, Notification
from service.dependencies import SessionDep, SettingsDep
from service.errors import Invalid
from service.indicators.models import Indicator
from service.milestones.models import Milestone
from service.milestones.service import STATE_LABELS
from service.offices.models import Office
from service.plans.models import (
    CHANGE_LABELS,
    PLAN_STATUS_LABELS,
    Assignment,
    Measure,
    Phase,
    Plan,
)
from service.plans.parser.model import COMPARISON_LABELS
from service.plans.service import visible_plans
from service.web.actions import form_int
from service.web.lookups import department_names
from service.web.reminder_policy import AUDIENCE_LABELS
from service.web.render import render
from service.web.session import PageActorDep
from service.web.users import USER_ROLE_LABELS

router = APIRouter()
PAGE_SIZE = 50
CHANGES_SHOWN = 4
VALUE_CHARS = 40
MEASURE_CHARS = 24
# How each field of a before/after snapshot reads: its Chinese name and the kind of its value.
# Fields not listed here (ids, bookkeeping) are left out of the page: nothing in English reaches a reader.
FIELDS = {
    "status": ("状态", "label"), "state": ("状态", "label"), "due_date": ("完成时限", "date"),
    "comment": ("意见", "text"), "percent": ("完成百分比", "percent"), "reason": ("理由", "text"),
    "new_due_date": ("新时限", "date"), "name": ("名称", "text"), "title": ("标题", "text"),
    "text": ("内容", "text"), "deadline": ("时限", "date"), "lead": ("牵头单位", "departments"),
    "support": ("配合单位", "departments"), "members": ("成员单位", "departments"), "aliases": ("别名", "list"),
    "confirmed": ("已确认", "label"), "enabled": ("启用", "label"), "target": ("地址", "text"),
    "active": ("启用", "label"), "role": ("角色", "role"), "unfinished_milestones": ("未办结节点", "count"),
    "milestones_created": ("生成节点", "count"), "acknowledged_at": ("签收时间", "time"),
    "submitted_at": ("报送时间", "time"), "approved_at": ("办结时间", "time"),
    "notices_dropped": ("撤下待发通知", "count"), "username": ("用户名", "text"),
    "department_id": ("单位", "department"), "must_change_password": ("须修改密码", "label"),
    "tokens_revoked": ("作废的登录和链接", "count"), "audience": ("接收对象", "audience"),
    "type": ("渠道类型", "channel"), "has_secret": ("设有签名密钥", "label"), "mentions": ("提醒成员", "list"),
    "policy": ("催办规则", "changed"), "link_reporting": ("允许通过链接报送", "label"),
    "link_version": ("链接版本", "text"), "filename": ("文件", "text"),
    "unmatched_departments": ("未匹配的单位", "list"), "reassigned": ("改派的分工", "count"),
    "merged": ("合并的分工", "count"), "placeholder_deleted": ("删除占位单位", "label"),
    "days": ("节假日", "days"), "value": ("数值", "text"), "as_of": ("截至", "date"), "note": ("备注", "text"),
    "unit": ("计量单位", "text"), "comparison": ("比较方式", "comparison"), "target_value": ("目标值", "text"),
    "baseline_value": ("基期值", "text"), "target_date": ("目标日期", "date"),
    "proposed_units_dropped": ("清除的待确认单位名称", "list"), "measures": ("措施数", "count"),
    "phases": ("阶段数", "count"), "doc_number": ("文号", "text"), "emails": ("邮箱", "list"),
    "mobiles": ("手机", "list"), "late_reason": ("晚于上级时限的理由", "text"),
    "item": ("考核项", "text"), "entered": ("录入分值", "text"), "points": ("得分", "text"),
    "total": ("总分", "text"), "grade": ("等次", "text"), "evidence": ("依据", "text"),
    "ranking_public": ("公布排名", "label"), "period_start": ("考核期开始", "date"), "period_end": ("考核期结束", "date"),
    "year": ("年度", "count"), "number": ("期号", "count"), "narrative": ("情况综述", "text"),
    "next_steps": ("下一步工作", "text"), "colour": ("督办单", "colour"), "answer_by": ("反馈期限", "date"),
    "sent": ("已发送", "label"),
    "mandatory": ("必做", "label"), "choice_deadline": ("选做申报截止日期", "date"), "taken": ("已选做", "label"),
    "request": ("变更申请", "change"), "refusal": ("不同意的理由", "text"),
}
VALUE_LABELS = {**STATE_LABELS, **PLAN_STATUS_LABELS}
KIND_LABELS = {
    "role": USER_ROLE_LABELS, "audience": {**AUDIENCE_LABELS, "department": "本单位"}, "channel": CHANNEL_LABELS,
    "comparison": COMPARISON_LABELS, "colour": NOTICE_COLOURS,
    "change": CHANGE_LABELS,
}


def _value(value, kind: str, tz, names: dict[int, str]) -> str:
    if value is None or value == [] or value == "":
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "departments":
        text = "、".join(names.get(i, "其他单位") for i in value)
    elif kind == "department":
        text = names.get(value, "其他单位")
    elif kind in KIND_LABELS:
        text = KIND_LABELS[kind].get(value, "其他")
    elif kind == "label":
        text = VALUE_LABELS.get(value, str(value))
    elif kind == "list":
        text = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    elif kind == "days":
        text = f"{len(value)} 天"
    elif kind == "percent":
        text = f"{value}%"
    elif kind == "count":
        text = str(value)
    elif kind == "changed":
        text = "已设置"
    else:
        text = _readable_time(str(value), tz)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _readable_time(text: str, tz) -> str:
    """Snapshots keep days as ISO dates and instants as UTC ISO strings; people read
    them as Chinese dates and in business time."""
    try:
        instant = datetime.fromisoformat(text) if "T" in text else None
        day = date.fromisoformat(text) if instant is None and len(text) == 10 else None
    except ValueError:
        return text
    if day:
        return f"{day.year}年{day.month}月{day.day}日"
    if instant and instant.tzinfo:
        local = instant.astimezone(tz)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return text


def change_summary(before: dict | None, after: dict | None, tz, names: dict[int, str] | None = None) -> str:
    """"状态：推进中 → 已归档；未办结节点：3": what changed, what was set, briefly, in words,
    with departments by name (`names`: department id → name)."""
    before, after, names = before or {}, after or {}, names or {}
    parts = []
    for key in list(dict.fromkeys([*before, *after])):
        if key in FIELDS:
            label, kind = FIELDS[key]
        elif not re.search(r"[A-Za-z]", key):
            label, kind = key, "text"  # keyed by a Chinese name already (the demo's phases)
        else:
            continue
        if kind == "changed" and key in before and key in after:
            if before[key] != after[key]:
                parts.append(f"{label}：已修改")
        elif key in before and key in after:
            if before[key] != after[key]:
                parts.append(f"{label}：{_value(before[key], kind, tz, names)} → {_value(after[key], kind, tz, names)}")
        elif key in after:
            parts.append(f"{label}：{_value(after[key], kind, tz, names)}")
        else:
            parts.append(f"{label}：{_value(before[key], kind, tz, names)} → （删除）")
    shown = "；".join(parts[:CHANGES_SHOWN])
    return shown + ("；…" if len(parts) > CHANGES_SHOWN else "")


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    who: str
    action: str
    object_text: str
    object_url: str | None
    changes: str


def _clip(text: str) -> str:
    return text if len(text) <= MEASURE_CHARS else text[: MEASURE_CHARS - 1] + "…"


def _ids(events: list[AuditEvent], kind: str) -> set[int]:
    return {e.entity_id for e in events if e.entity_type == kind}


def object_links(
    session: Session, actor: Actor, events: list[AuditEvent], names: dict[int, str], users: dict[int, str]
) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(entity type, id) → (what it is, where to see it), a query per entity type on the page."""
    found: dict[tuple[str, int], tuple[str, str | None]] = {}
    for plan_id, title in session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(_ids(events, "plan")))):
        found["plan", plan_id] = (title, f"/plans/{plan_id}")
    for measure_id, plan_id, text in session.execute(
        select(Measure.id, Measure.plan_id, Measure.text).where(Measure.id.in_(_ids(events, "measure")))
    ):
        found["measure", measure_id] = (f"措施“{_clip(text)}”", f"/plans/{plan_id}#measure-{measure_id}")
    for milestone_id, department_id, text, phase in session.execute(
        select(Milestone.id, Milestone.department_id, Measure.text, Phase.name)
        .join(Milestone.assignment).join(Measure, Measure.id == Assignment.measure_id)
        .outerjoin(Phase, Phase.id == Milestone.phase_id)
        .where(Milestone.id.in_(_ids(events, "milestone")))
    ):
        unit = names.get(department_id, "其他单位")
        found["milestone", milestone_id] = (
            f"{unit}：措施“{_clip(text)}”{f'（{phase}）' if phase else ''}", f"/milestones/{milestone_id}"
        )
    for indicator_id, plan_id, name in session.execute(
        select(Indicator.id, Indicator.plan_id, Indicator.name).where(Indicator.id.in_(_ids(events, "indicator")))
    ):
        found["indicator", indicator_id] = (name, f"/plans/{plan_id}")
    for channel_id, department_id in session.execute(
        select(Channel.id, Channel.department_id).where(Channel.id.in_(_ids(events, "channel")))
    ):
        if department_id is not None:
            found["channel", channel_id] = (f"{names.get(department_id, '')} 通知渠道", f"/departments/{department_id}")
    for department_id in _ids(events, "department"):
        if department_id in names:
            found["department", department_id] = (names[department_id], f"/departments/{department_id}")
    for user_id in _ids(events, "user") & users.keys():
        found["user", user_id] = (f"用户“{users[user_id]}”", "/users" if actor.is_admin else None)
    for office_id, name in session.execute(select(Office.id, Office.name).where(Office.id.in_(_ids(events, "office")))):
        found["office", office_id] = (f"办公室“{name}”", "/offices" if actor.is_admin or actor.is_operator else None)
    for year in _ids(events, "calendar_year"):
        found["calendar_year", year] = (f"{year}年", f"/holidays?year={year}")
    for notification_id, subject in session.execute(
        select(Notification.id, Notification.subject).where(Notification.id.in_(_ids(events, "notification")))
    ):
        found["notification", notification_id] = (f"通知“{_clip(subject)}”", "/notifications")
    for scheme_id, name, version in session.execute(select(
            AssessmentScheme.id, AssessmentScheme.name, AssessmentScheme.version,
    ).where(AssessmentScheme.id.in_(_ids(events, "assessment_scheme")))):
        found["assessment_scheme", scheme_id] = (f"考核方案“{_clip(name)}”第{version}版", f"/assessment/schemes/{scheme_id}")
    for result_id, name in session.execute(
        select(AssessmentResult.id, AssessmentScheme.name).join(AssessmentScheme, AssessmentScheme.id == AssessmentResult.scheme_id)
        .where(AssessmentResult.id.in_(_ids(events, "assessment_result")))
    ):
        found["assessment_result", result_id] = (f"考核结果“{_clip(name)}”", f"/assessment/results/{result_id}")
    return found


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{what}应为 YYYY-MM-DD 格式的日期") from None


def _user_names(session: Session, actor: Actor, departments: dict[int, str]) -> dict[int, str]:
    """Operators as people know them: by name, else by their unit (a login name is not a name)."""
    rows = session.execute(
        select(User.id, User.display_name, User.username, User.department_id)
        .where(User.office_id.in_(actor.readable_office_ids))
        .order_by(User.username)
    )
    return {
        user_id: display or (f"{departments[department_id]}用户" if department_id in departments else username)
        for user_id, display, username, department_id in rows
    }


def _row(event: AuditEvent, users: dict[int, str], links: dict, names: dict[int, str], tz) -> Row:
    # An object deleted since (a channel, a user's department) is named by its kind only.
    default = (f"（已删除的{ENTITY_LABELS.get(event.entity_type, '对象')}）", None)
    text, url = links.get((event.entity_type, event.entity_id), default)
    return Row(
        event=event,
        who=users.get(event.actor_id) or ("系统" if event.actor_id is None else event.actor_name),
        action=ACTION_LABELS.get(event.action, event.action),
        object_text=text,
        object_url=url,
        changes=change_summary(event.before, event.after, tz, names),
    )


@router.get("/audit")
def audit_page(request: Request, actor: PageActorDep, session: SessionDep, settings: SettingsDep):
    query = request.query_params
    plan_id, department_id, user_id = (form_int(query.get(key)) for key in ("plan", "department", "user"))
    action = query.get("action") or None
    if action is not None and action not in ACTION_LABELS:
        raise Invalid(f"未知的操作类型 {action}")
    start, end = _day(query.get("from"), "起始日期"), _day(query.get("to"), "截止日期")
    if start and end and end < start:
        raise Invalid("截止日期不能早于起始日期")
    page = max(1, form_int(query.get("page"), 1))
    tz = settings.tz
    events = list_events(
        session, actor, plan_id=plan_id, department_id=department_id, user_id=user_id, action=action,
        # Business days in the configured timezone, the end day included.
        since=datetime.combine(start, time(), tz) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
        newest_first=True, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
    )
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    names = department_names(session, actor)
    users = _user_names(session, actor, names)
    links = object_links(session, actor, events, names, users)
    rows = [_row(e, users, links, names, tz) for e in events]
    filters = {
        "plan": plan_id, "department": department_id, "user": user_id, "action": action or "",
        "from": start.isoformat() if start else "", "to": end.isoformat() if end else "",
    }
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "page": page,
            "more": more,
            "filters": filters,
            "query": {k: v for k, v in filters.items() if v},
            "plans": session.execute(visible_plans(actor).with_only_columns(Plan.id, Plan.title).order_by(Plan.id.desc())).all(),
            "departments": sorted(department_names(session, actor).items(), key=lambda item: item[1]),
            "users": sorted(users.items(), key=lambda item: item[1]),
            "actions": ACTION_LABELS,
            "entity_labels": ENTITY_LABELS,
        },
    )
