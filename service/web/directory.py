"""The department directory with contacts and channels; notifications outbox with retry."""

from fastapi import APIRouter, Request
from sqlalchemy import select

from service.delivery.dispatcher import send_test_message
from service.delivery.models import STATUSES
from service.delivery.service import attempts_of, list_channels, list_notifications, retry_notification
from service.departments.models import DepartmentGroupMember
from service.departments.service import list_departments
from service.dependencies import NowDep, SessionDep, SettingsDep
from service.web.actions import run_action
from service.web.lookups import department_names
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
STATUS_LABELS = {
    "pending": "待发送", "sending": "发送中", "sent": "已发送", "retry": "等待重试", "dead": "发送失败", "cancelled": "已取消",
}
CHANNEL_LABELS = {"email": "邮件", "webhook": "Webhook", "wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}


@router.get("/departments")
def departments_page(request: Request, actor: PageActorDep, session: SessionDep):
    departments = list_departments(session, actor)
    if actor.is_department:
        departments = [d for d in departments if d.id == actor.department_id]
    channels: dict[int | None, list] = {}
    for channel in list_channels(session, actor):
        channels.setdefault(channel.department_id, []).append(channel)
    members: dict[int, list[int]] = {}
    for group_id, member_id in session.execute(select(DepartmentGroupMember.group_id, DepartmentGroupMember.member_id)):
        members.setdefault(group_id, []).append(member_id)
    return render(
        request,
        "departments.html",
        {
            "departments": departments,
            "channels": channels,
            "members": members,
            "names": department_names(session, actor),
            "channel_labels": CHANNEL_LABELS,
        },
    )


@router.post("/channels/{channel_id}/test")
def test_channel(request: Request, channel_id: int, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep):
    notification, attempt = send_test_message(session, actor, settings, channel_id, now=now)
    if notification.status == "sent":
        return redirect(request, f"/departments#channel-{channel_id}", "测试消息发送成功")
    detail = attempt.detail or notification.last_error or notification.status
    return redirect(request, f"/departments#channel-{channel_id}", f"测试消息发送失败：{detail}", kind="error")


@router.get("/notifications")
def notifications_page(request: Request, actor: PageActorDep, session: SessionDep, status: str | None = None, page: int = 1):
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
            "status_labels": STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
        },
    )


@router.post("/notifications/{notification_id}/retry")
def retry(request: Request, notification_id: int, actor: PageActorDep, session: SessionDep, now: NowDep):
    back = "/notifications" + (f"?status={s}" if (s := request.state.form.get("status")) in STATUSES else "")
    return run_action(
        request, session, lambda: retry_notification(session, actor, notification_id, now=now),
        ok="已重新排入发送队列", back=back,
    )
