"""The department directory (contacts, heads, groups, channels), editable by the
office admin; the notifications outbox with retry."""

import re

from fastapi import APIRouter, Request
from sqlalchemy import select

from notifiers import CHANNEL_LABELS, CHANNEL_TYPES, mask_target
from service.delivery.dispatcher import send_test_message
from service.delivery.models import AUDIENCE_DEPARTMENT, STATUSES
from service.delivery.service import (
    attempts_of,
    create_channel,
    delete_channel,
    get_channel,
    list_channels,
    list_notifications,
    notifier_config,
    retry_notification,
    update_channel,
)
from service.departments.feeds import feed_of
from service.departments.models import KIND_GROUP, KIND_UNIT, Department, DepartmentGroupMember
from service.flows.contacts import without_contact
from service.departments.service import (
    create_department,
    get_department,
    group_member_ids,
    set_group_members,
    update_department,
)
from service.departments.service import (
    set_child_offices as map_child_offices,
)
from service.dependencies import IdPath, NowDep, PageQuery, SessionDep, SettingsDep
from service.errors import Invalid
from service.flows.directory import list_departments
from service.offices.models import Office
from service.plans.models import PLAN_DRAFT, Assignment, Measure, Plan
from service.web.actions import Refused, confirmed, form_int, run_action, try_form
from service.web.lookups import department_names
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
STATUS_LABELS = {
    "pending": "待发送", "sending": "发送中", "sent": "已发送", "retry": "等待重试", "dead": "发送失败", "cancelled": "已取消",
}


AUDIENCE_LABELS = {"office": "办公室", "leader": "领导"}
KIND_LABELS = {KIND_UNIT: "单位", KIND_GROUP: "分组（如各区政府）"}
# Lists in a textarea: one per line, or separated by commas / 、 / semicolons.
LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _list(value: object) -> list[str]:
    return list(dict.fromkeys(item for item in LIST_SEPARATORS.split(str(value or "")) if item))


def _department_values(form) -> dict:
    """The edit form's fields; the department service checks them as it does the API's."""
    return {
        "name": str(form.get("name") or ""),
        "aliases": _list(form.get("aliases")),
        "kind": str(form.get("kind") or KIND_UNIT),
        "emails": _list(form.get("emails")),
        "mobiles": _list(form.get("mobiles")),
        "head_name": str(form.get("head_name") or "").strip() or None,
        "head_email": str(form.get("head_email") or "").strip() or None,
        "head_mobile": str(form.get("head_mobile") or "").strip() or None,
    }


def _members(session, actor) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    rows = session.execute(
        select(DepartmentGroupMember.group_id, DepartmentGroupMember.member_id).order_by(DepartmentGroupMember.member_id)
    )
    readable = department_names(session, actor)
    for group_id, member_id in rows:
        if group_id in readable:
            members.setdefault(group_id, []).append(member_id)
    return members


def _channel_context() -> dict:
    return {
        "channel_labels": CHANNEL_LABELS, "channel_types": CHANNEL_TYPES, "audience_labels": AUDIENCE_LABELS,
        "masked_target": mask_target,
    }


# Never sent back to the browser: the user types them again.
WITHHELD = ("secret",)


@router.get("/departments")
def departments_page(request: Request, actor: PageActorDep, session: SessionDep):
    return _directory_page(request, session, actor)


def _directory_page(request: Request, session, actor, refused: Refused | None = None):
    """The directory; after a refused form (a new department, an office channel, a channel
    edit), with what the user typed and the reason beside the field (422)."""
    departments = list_departments(session, actor)
    if actor.is_department:
        departments = [d for d in departments if d.id == actor.department_id]
    # Names an import proposed are not in the directory until the office maps or
    # confirms them on the draft's review page.
    proposed = [d for d in departments if not d.confirmed]
    departments = [d for d in departments if d.confirmed]
    channels: dict[int | None, list] = {}
    for channel in list_channels(session, actor):
        channels.setdefault(channel.department_id, []).append(channel)
    return render(
        request,
        "departments.html",
        {
            "departments": departments,
            "channels": channels,
            "members": _members(session, actor),
            "names": department_names(session, actor),
            "proposed": proposed,
            "proposing_drafts": proposing_drafts(session, [d.id for d in proposed]),
            "unreachable": {d.id for d in without_contact(session, departments)},
            "kind_labels": KIND_LABELS,
            "refused": refused,
        } | _channel_context(),
        status_code=422 if refused else 200,
    )


def proposing_drafts(session, department_ids: list[int]) -> list[tuple[int, str]]:
    """(id, title) of the drafts whose import proposed these names."""
    if not department_ids:
        return []
    rows = session.execute(
        select(Plan.id, Plan.title)
        .join(Measure, Measure.plan_id == Plan.id)
        .join(Assignment, Assignment.measure_id == Measure.id)
        .where(Assignment.department_id.in_(department_ids), Plan.status == PLAN_DRAFT)
        .distinct()
        .order_by(Plan.id)
    )
    return [tuple(row) for row in rows]


@router.post("/departments")
def add_department(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    actor.require_admin()
    created = []
    refused = try_form(
        request, session,
        lambda: created.append(create_department(session, actor, _department_values(request.state.form), now=now)),
        "new-department",
    )
    if refused:
        return _directory_page(request, session, actor, refused)
    return redirect(request, f"/departments/{created[0].id}", "单位已添加，可继续填写联系人和通知渠道")


@router.get("/departments/{department_id}")
def department_page(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep):
    return _department_page(request, session, actor, department_id)


def _department_page(request: Request, session, actor, department_id: int, refused: Refused | None = None):
    department = get_department(session, actor, department_id)
    names = department_names(session, actor)
    member_ids = group_member_ids(session, department.id)
    return render(
        request,
        "department.html",
        {
            "d": department,
            "channels": list_channels(session, actor, department_id=department.id),
            "member_ids": member_ids,
            # 下发: the child offices the unit (or the group, through its members) stands for.
            "child_offices": list(session.scalars(
                select(Office).where(Office.parent_id == department.office_id).order_by(Office.id)
            )) if not actor.is_department else [],
            "represented": set(session.scalars(select(Department.represents_office_id).where(
                Department.id.in_(member_ids if department.kind == KIND_GROUP else [department.id])
            ))),
            # Members come from the group's own office, never a child office's directory.
            "candidates": [x for x in list_departments(session, actor)
                           if x.office_id == department.office_id and x.id != department.id],
            "names": names,
            "can_edit": actor.is_admin and actor.office_id == department.office_id,
            "feed": feed_of(session, department.id),
            "kind_labels": KIND_LABELS,
            "refused": refused,
        } | _channel_context(),
        status_code=422 if refused else 200,
    )


@router.post("/departments/{department_id}")
def edit_department(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    actor.require_admin_of(get_department(session, actor, department_id).office_id)
    refused = try_form(
        request, session,
        lambda: update_department(session, actor, department_id, _department_values(request.state.form), now=now),
        "department",
    )
    if refused:
        return _department_page(request, session, actor, department_id, refused)
    return redirect(request, f"/departments/{department_id}", "单位信息已保存")


@router.post("/departments/{department_id}/confirm")
def confirm_department(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    back = "/departments" if request.state.form.get("back") == "list" else f"/departments/{department_id}"
    return run_action(
        request, session, lambda: update_department(session, actor, department_id, {"confirmed": True}, now=now),
        ok="已确认该单位", back=back,
    )


@router.post("/departments/{department_id}/offices")
def set_child_offices(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    ids = [i for i in (form_int(v) for v in request.state.form.getlist("office")) if i is not None]
    return run_action(
        request, session, lambda: map_child_offices(session, actor, department_id, ids, now=now),
        ok=f"已保存（代表 {len(ids)} 个下级办公室），启动计划时交办给它的工作将下发到这些办公室",
        back=f"/departments/{department_id}#child-offices",
    )


@router.post("/departments/{department_id}/members")
def set_members(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    ids = [i for i in (form_int(v) for v in request.state.form.getlist("member")) if i is not None]
    return run_action(
        request, session, lambda: set_group_members(session, actor, department_id, ids, now=now),
        ok=f"分组成员已保存（{len(ids)} 个单位）", back=f"/departments/{department_id}#members",
    )


def _add_channel(request: Request, actor, session, settings, now, *, audience: str, department_id: int | None):
    form = request.state.form
    create_channel(
        session, actor, notifier_config(settings), audience=audience, department_id=department_id,
        type=str(form.get("type") or ""), target=str(form.get("target") or ""),
        secret=str(form.get("secret") or ""), mentions=_list(form.get("mentions")), now=now,
    )


@router.post("/departments/{department_id}/channels")
def add_department_channel(
    request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    get_department(session, actor, department_id)  # another office's department is a 404
    refused = try_form(
        request, session,
        lambda: _add_channel(request, actor, session, settings, now, audience=AUDIENCE_DEPARTMENT, department_id=department_id),
        "channel", withheld=WITHHELD,
    )
    if refused:
        return _department_page(request, session, actor, department_id, refused)
    return redirect(request, f"/departments/{department_id}#channels", "通知渠道已添加")


@router.post("/channels")
def add_office_channel(request: Request, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep):
    actor.require_admin()
    audience = request.state.form.get("audience")

    def add():
        if audience not in AUDIENCE_LABELS:
            raise Invalid("请选择接收对象：办公室或领导", field="audience")
        _add_channel(request, actor, session, settings, now, audience=audience, department_id=None)

    refused = try_form(request, session, add, "office-channel", withheld=WITHHELD)
    if refused:
        return _directory_page(request, session, actor, refused)
    return redirect(request, "/departments#office-channels", "通知渠道已添加")


def _channel_page(channel) -> str:
    return f"/departments/{channel.department_id}#channels" if channel.department_id else "/departments#office-channels"


@router.post("/channels/{channel_id}")
def edit_channel(
    request: Request, channel_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    form = request.state.form
    # Blank target and secret fields keep what is stored: the page never shows them.
    changes: dict = {"mentions": _list(form.get("mentions"))}
    if target := str(form.get("target") or "").strip():
        changes["target"] = target
    if form.get("clear_secret"):
        changes["secret"] = None
    elif secret := str(form.get("secret") or "").strip():
        changes["secret"] = secret
    channel = get_channel(session, actor, channel_id)
    department_id, back = channel.department_id, _channel_page(channel)
    refused = try_form(
        request, session,
        lambda: update_channel(session, actor, notifier_config(settings), channel_id, changes, now=now),
        f"channel-{channel_id}", withheld=WITHHELD,
    )
    if refused and department_id:
        return _department_page(request, session, actor, department_id, refused)
    if refused:
        return _directory_page(request, session, actor, refused)
    return redirect(request, back, "渠道已保存")


@router.post("/channels/{channel_id}/enabled")
def enable_channel(
    request: Request, channel_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    enabled = request.state.form.get("enabled") == "1"
    back = _channel_page(get_channel(session, actor, channel_id))
    return run_action(
        request, session,
        lambda: update_channel(session, actor, notifier_config(settings), channel_id, {"enabled": enabled}, now=now),
        ok="渠道已启用" if enabled else "渠道已停用", back=back,
    )


@router.post("/channels/{channel_id}/delete")
def remove_channel(request: Request, channel_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    back = _channel_page(get_channel(session, actor, channel_id))
    return run_action(
        request, session, confirmed(request, lambda: delete_channel(session, actor, channel_id, now=now), "删除渠道"),
        ok="渠道已删除，尚未发出的消息已取消", back=back,
    )


@router.post("/channels/{channel_id}/test")
def test_channel(request: Request, channel_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep):
    back = _channel_page(get_channel(session, actor, channel_id))
    notification, attempt = send_test_message(session, actor, settings, channel_id, now=now)
    if notification.status == "sent":
        return redirect(request, back, "测试消息发送成功")
    return redirect(request, back, f"测试消息发送失败：{attempt.words}", kind="error")


@router.get("/notifications")
def notifications_page(request: Request, actor: PageActorDep, session: SessionDep, status: str | None = None, page: PageQuery = 1):
    status = status if status in STATUSES else None
    page = max(1, page)
    rows = list_notifications(session, actor, status=status, limit=51, offset=(page - 1) * 50)
    shown = rows[:50]
    return render(
        request,
        "notifications.html",
        {
            "rows": shown,
            "attempts": {n.id: attempts_of(session, n) for n in shown if n.attempts},
            "status": status,
            "page": page,
            "has_next": len(rows) > 50,
            "names": department_names(session, actor),
            # The parent office's reminders to this office's channels name the parent, not a unit.
            "parents": dict(session.execute(select(Office.id, Office.name).where(
                Office.id.in_({n.office_id for n in shown} - {actor.office_id})
            )).all()),
            "status_labels": STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
        },
    )


@router.post("/notifications/{notification_id}/retry")
def retry(request: Request, notification_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    back = "/notifications" + (f"?status={s}" if (s := request.state.form.get("status")) in STATUSES else "")
    return run_action(
        request, session, lambda: retry_notification(session, actor, notification_id, now=now),
        ok="已重新排入发送队列", back=back,
    )
