"""操作记录: the audit log of the office (and its districts), newest first, with filters."""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.trail import ACTION_LABELS, ENTITY_LABELS, list_events
from service.auth.actor import Actor
from service.auth.models import User
from service.delivery.models import Channel
from service.dependencies import SessionDep, SettingsDep
from service.errors import Invalid
from service.indicators.models import Indicator
from service.milestones.models import Milestone
from service.milestones.service import STATE_LABELS
from service.plans.models import PLAN_STATUS_LABELS, Measure, Plan
from service.plans.service import visible_plans
from service.web.actions import form_int
from service.web.lookups import department_names
from service.web.render import render
from service.web.session import PageActorDep
from service.web.users import USER_ROLE_LABELS

router = APIRouter()
PAGE_SIZE = 50
CHANGES_SHOWN = 4
VALUE_CHARS = 40
# Field names of before/after snapshots worth a Chinese name; others show as stored.
FIELD_LABELS = {
    "status": "状态", "state": "状态", "due_date": "完成时限", "due_version": "时限版本", "comment": "意见",
    "percent": "完成百分比", "reason": "理由", "new_due_date": "新时限", "name": "名称", "title": "标题",
    "text": "内容", "deadline": "时限", "lead": "牵头单位", "support": "配合单位", "aliases": "别名",
    "confirmed": "已确认", "enabled": "启用", "target": "目标", "active": "启用", "role": "角色",
    "unfinished_milestones": "未办结节点", "milestones_created": "生成节点", "link_version": "链接版本",
    "acknowledged_at": "签收时间", "submitted_at": "报送时间", "approved_at": "办结时间", "report_id": "报送编号",
    "notices_dropped": "撤下待发通知", "username": "用户名", "department_id": "单位编号",
    "proposed_units_dropped": "清除的待确认单位名称", "measures": "措施数", "phases": "阶段数", "doc_number": "文号",
    "source_hash": "文件指纹", "phase_id": "阶段编号", "emails": "邮箱", "mobiles": "手机",
}
VALUE_LABELS = {**STATE_LABELS, **PLAN_STATUS_LABELS, True: "是", False: "否", None: "无"}
# Values whose words depend on the field ("department" is a role here, an audience elsewhere).
FIELD_VALUE_LABELS = {"role": USER_ROLE_LABELS}


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    who: str
    action: str
    object_text: str
    object_url: str | None
    changes: str


def _value(value, tz, key: str = "") -> str:
    if isinstance(value, str) and value in FIELD_VALUE_LABELS.get(key, {}):
        text = FIELD_VALUE_LABELS[key][value]
    elif isinstance(value, (bool, type(None))) or (isinstance(value, str) and value in VALUE_LABELS):
        text = VALUE_LABELS[value]
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = _local_time(str(value), tz)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _local_time(text: str, tz) -> str:
    """Snapshots keep instants as UTC ISO strings; people read them in business time."""
    if "T" not in text:
        return text
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant.tzinfo else text


def change_summary(before: dict | None, after: dict | None, tz) -> str:
    """"状态：推进中 → 已归档；未办结节点：3": what changed, what was set, briefly."""
    before, after = before or {}, after or {}
    parts = []
    for key in list(dict.fromkeys([*before, *after])):
        label = FIELD_LABELS.get(key, key)
        if key in before and key in after:
            if before[key] != after[key]:
                parts.append(f"{label}：{_value(before[key], tz, key)} → {_value(after[key], tz, key)}")
        elif key in after:
            parts.append(f"{label}：{_value(after[key], tz, key)}")
        else:
            parts.append(f"{label}：{_value(before[key], tz, key)} → （删除）")
    shown = "；".join(parts[:CHANGES_SHOWN])
    return shown + ("；…" if len(parts) > CHANGES_SHOWN else "")


def _ids(events: list[AuditEvent], kind: str) -> set[int]:
    return {e.entity_id for e in events if e.entity_type == kind}


def object_links(session: Session, actor: Actor, events: list[AuditEvent]) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(entity type, id) → (what it is, where to see it), a query per entity type on the page."""
    names = department_names(session, actor)
    found: dict[tuple[str, int], tuple[str, str | None]] = {}
    for plan_id, title in session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(_ids(events, "plan")))):
        found["plan", plan_id] = (title, f"/plans/{plan_id}")
    for measure_id, plan_id in session.execute(
        select(Measure.id, Measure.plan_id).where(Measure.id.in_(_ids(events, "measure")))
    ):
        found["measure", measure_id] = (f"措施 {measure_id}", f"/plans/{plan_id}#measure-{measure_id}")
    for milestone_id, department_id in session.execute(
        select(Milestone.id, Milestone.department_id).where(Milestone.id.in_(_ids(events, "milestone")))
    ):
        found["milestone", milestone_id] = (f"{names.get(department_id, '')} 节点 {milestone_id}", f"/milestones/{milestone_id}")
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
    for user_id, username in session.execute(select(User.id, User.username).where(User.id.in_(_ids(events, "user")))):
        found["user", user_id] = (username, "/users" if actor.is_admin else None)
    for year in _ids(events, "calendar_year"):
        found["calendar_year", year] = (f"{year}年", f"/holidays?year={year}")
    for notification_id in _ids(events, "notification"):
        found["notification", notification_id] = (f"通知 {notification_id}", "/notifications")
    return found


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{what}应为 YYYY-MM-DD 格式的日期") from None


def _user_names(session: Session, actor: Actor) -> dict[int, str]:
    rows = session.execute(
        select(User.id, User.display_name, User.username)
        .where(User.office_id.in_(actor.readable_office_ids))
        .order_by(User.username)
    )
    return {user_id: display or username for user_id, display, username in rows}


def _row(event: AuditEvent, users: dict[int, str], links: dict, tz) -> Row:
    default = (f"{ENTITY_LABELS.get(event.entity_type, event.entity_type)} {event.entity_id}", None)
    text, url = links.get((event.entity_type, event.entity_id), default)
    return Row(
        event=event,
        who=users.get(event.actor_id) or ("系统" if event.actor_id is None else event.actor_name),
        action=ACTION_LABELS.get(event.action, event.action),
        object_text=text,
        object_url=url,
        changes=change_summary(event.before, event.after, tz),
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
    users = _user_names(session, actor)
    links = object_links(session, actor, events)
    rows = [_row(e, users, links, tz) for e in events]
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
