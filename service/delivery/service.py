"""Channels, the outbox (enqueue) and the notifications the office can inspect and retry."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from notifiers import CHANNEL_LABELS, CHANNEL_TYPES, CHANNELS, InvalidTarget, NotifierConfig, mask_target
from notifiers import SETTINGS as NOTIFIER_SETTINGS
from service.audit.service import record
from service.auth.actor import Actor
from service.config import Settings
from service.delivery.models import (
    AUDIENCE_DEPARTMENT,
    AUDIENCE_OFFICE,
    AUDIENCES,
    CANCELLED,
    DEAD,
    KIND_DELIVERY_DEAD,
    PENDING,
    RETRY,
    SENDING,
    STATUSES,
    Channel,
    DeliveryAttempt,
    Notification,
)
from service.database import lock_for_change
from service.departments.models import Department
from service.departments.service import valid_mobile
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.link_signing import signed_link
from service.messages import item_labels, render, render_format



def notifier_config(settings: Settings) -> NotifierConfig:
    """The one place Settings become the notifiers' configuration: each setting a
    notifier declares, read from the Settings field of its environment variable."""
    return NotifierConfig(**{
        s.name: tuple(value) if isinstance(value := getattr(settings, s.env_name), list) else value
        for s in NOTIFIER_SETTINGS
    })


def channel_rate_limit(channel_type: str) -> int | None:
    """Messages a minute a channel type takes per target; None means unlimited."""
    try:
        return CHANNELS[channel_type].rate_limit_per_minute
    except KeyError:
        raise ValueError(f"unknown channel type {channel_type!r}") from None


def channel_label(channel_type: str) -> str:
    return CHANNEL_LABELS.get(channel_type, channel_type)


def shown_target(actor: Actor, channel: Channel) -> str:
    """A channel's target as the actor may see it: in full only for an admin of
    the owning office, who edits it; masked for everyone else (a robot key or a
    webhook URL is the credential that lets anyone post to the group)."""
    if actor.is_admin and actor.office_id == channel.office_id:
        return channel.target
    return mask_target(channel.type, channel.target)


# --- outbox -----------------------------------------------------------------


def _outbox_row(
    *,
    office_id: int,
    department_id: int | None,
    channel_id: int | None,
    channel_type: str,
    target: str,
    kind: str,
    level: str | None,
    subject: str,
    event: dict,
    mentions: list[str],
    now: datetime,
    body_text: str | None = None,
    body_markdown: str | None = None,
    body_html: str | None = None,
    template: str | None = None,
    template_context: dict | None = None,
) -> dict:
    """The columns of a pending notification, checked: its bodies, or the template
    and context to render them from when it is sent (`digest_bodies`)."""
    if channel_type not in CHANNEL_TYPES:
        raise ValueError(f"unknown channel type {channel_type!r}")
    # An empty digest is a bug upstream; refusing it here keeps it off every channel.
    if template is None and not (body_text or "").strip():
        raise ValueError("refusing to enqueue a notification with an empty body")
    if template is not None and (template_context is None or not event.get("items")):
        raise ValueError("a notification rendered at send time needs its context and items")
    return {
        "office_id": office_id,
        "department_id": department_id,
        "channel_id": channel_id,
        "channel_type": channel_type,
        "target": target,
        "kind": kind,
        "level": level,
        "subject": subject,
        "template": template,
        "template_context": template_context,
        "body_text": body_text,
        "body_markdown": body_markdown,
        "body_html": body_html,
        "event": event,
        "mentions": list(mentions),
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# --- bodies rendered at send time --------------------------------------------------


ALL_FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True)
class Bodies:
    """What a notification sends: its bodies and the event a webhook receives. A
    digest rendered for sending has only the bodies its channel sends."""

    text: str | None
    markdown: str | None
    html: str | None
    event: dict


def signed_items(settings: Settings, items: list[dict]) -> list[dict]:
    """A digest's items as receivers get them: each link signed from the payload the
    scan decided (`link_payload`), in the place of its `link`."""
    signed = []
    for item in items:
        payload = item.get("link_payload")
        if payload is None:
            signed.append(item)
            continue
        link = signed_link(settings, payload)
        signed.append({k: link if k == "link" else v for k, v in item.items() if k != "link_payload"})
    return signed


def digest_context(settings: Settings, context: dict, items: list[dict]) -> dict:
    """What a digest's templates read: its own fields, its signed items with their
    badge and status words, and the service's address."""
    return {**context, "items": [item | item_labels(item) for item in items],
            "base_url": settings.base_url.rstrip("/")}


def digest_bodies(settings: Settings, notification, formats: tuple[str, ...] = ALL_FORMATS) -> Bodies:
    """A notification's bodies: as stored, or, for a digest not rendered yet, rendered
    now from its template, context and items, in the given formats; a digest's event
    with its links signed. The same on every call: links are signed from the stored
    payloads, so what is shown before sending is what is sent, and a digest's event
    (a webhook's whole message) need not be stored again once sent."""
    event = notification.event or {}
    if notification.template is None:
        return Bodies(notification.body_text or "", notification.body_markdown, notification.body_html, event)
    items = signed_items(settings, event.get("items", []))
    event = {**event, "items": items}
    if notification.body_text is not None:
        return Bodies(notification.body_text, notification.body_markdown, notification.body_html, event)
    if not formats:
        return Bodies(None, None, None, event)
    context = digest_context(settings, notification.template_context or {}, items)
    text, markdown, html = (
        render_format(notification.template, family, context) if family in formats else None for family in ALL_FORMATS
    )
    return Bodies(text, markdown, html, event)


def enqueue(session: Session, **fields) -> Notification:
    """Add a pending notification in the caller's transaction (the fields of `_outbox_row`)."""
    notification = Notification(**_outbox_row(**fields))
    session.add(notification)
    session.flush()
    return notification


def enqueue_many(session: Session, notifications: list[dict]) -> int:
    """Add many pending notifications (each the keyword fields of `enqueue`) in one
    executemany, in order: a scan's digests, without a flush per row."""
    rows = [_outbox_row(**fields) for fields in notifications]
    if rows:
        # On the table, not the entity: the ORM's bulk path costs more than the INSERT itself.
        session.execute(insert(Notification.__table__), rows)
    return len(rows)


def channels_for(
    session: Session, office_id: int, *, audience: str, department_id: int | None = None
) -> list[Channel]:
    """The enabled channels that reach a department (audience "department") or
    the office / its leader."""
    query = select(Channel).where(
        Channel.office_id == office_id, Channel.audience == audience, Channel.enabled.is_(True)
    )
    if audience == AUDIENCE_DEPARTMENT:
        query = query.where(Channel.department_id == department_id)
    return list(session.scalars(query.order_by(Channel.id)))


def alert_office(session: Session, dead: Notification, reason: str, *, words: str, now: datetime) -> list[Notification]:
    """Tell the office that a notification will never arrive: the message says why in
    `words`; a webhook's event carries the technical `reason`."""
    # An alert about an alert would loop as long as the office channel is broken.
    if dead.kind in (KIND_DELIVERY_DEAD, "test"):
        return []
    department = session.get(Department, dead.department_id) if dead.department_id else None
    rendered = render(
        KIND_DELIVERY_DEAD,
        {
            "notification_id": dead.id,
            "notification_subject": dead.subject,
            "department_name": department.name if department else "领导小组办公室",
            "channel_label": channel_label(dead.channel_type),
            "attempts": dead.attempts,
            "reason": words,
        },
    )
    event = {
        "type": KIND_DELIVERY_DEAD,
        "notification_id": dead.id,
        "channel_type": dead.channel_type,
        "department_id": dead.department_id,
        "reason": reason,
    }
    return [
        enqueue(
            session,
            office_id=dead.office_id,
            department_id=None,
            channel_id=channel.id,
            channel_type=channel.type,
            target=channel.target,
            kind=KIND_DELIVERY_DEAD,
            level=None,
            subject=rendered.subject,
            body_text=rendered.text,
            body_markdown=rendered.markdown,
            body_html=rendered.html,
            event=event,
            mentions=[],
            now=now,
        )
        for channel in channels_for(session, dead.office_id, audience=AUDIENCE_OFFICE)
    ]


# --- channels -----------------------------------------------------------------


def validate_channel_input(
    config: NotifierConfig, *, type: str, target: str, secret: str | None, mentions: list[str]
) -> tuple[str, str | None, list[str]]:
    """Clean and check channel input; Invalid with a message a user can act on."""
    if type not in CHANNEL_TYPES:
        raise Invalid(f"渠道类型必须是 {', '.join(CHANNEL_TYPES)} 之一", field="type")
    target = (target or "").strip()
    secret = (secret or "").strip() or None
    try:
        target = CHANNELS[type].check_target(target, secret, config)
    except InvalidTarget as exc:
        raise Invalid(str(exc), field=exc.field) from None
    try:
        return target, secret, [valid_mobile(m) for m in mentions if m.strip()]
    except Invalid as exc:
        raise Invalid(exc.message, field="mentions") from None


def create_channel(
    session: Session,
    actor: Actor,
    config: NotifierConfig,
    *,
    audience: str,
    department_id: int | None,
    type: str,
    target: str,
    secret: str | None = None,
    mentions: list[str] | None = None,
    now: datetime,
) -> Channel:
    if audience not in AUDIENCES:
        raise Invalid(f"接收对象必须是 {', '.join(AUDIENCES)} 之一", field="audience")
    office_id = actor.office_id
    if audience == AUDIENCE_DEPARTMENT:
        department = session.get(Department, department_id) if department_id is not None else None
        if department is None or department.office_id not in actor.readable_office_ids:
            raise NotFound(f"单位 {department_id} 不存在")
        office_id = department.office_id
    elif department_id is not None:
        raise Invalid("办公室或领导的渠道不属于任何单位")
    actor.require_admin_of(office_id)
    target, secret, mentions = validate_channel_input(
        config, type=type, target=target, secret=secret, mentions=mentions or []
    )
    channel = Channel(
        office_id=office_id,
        department_id=department_id if audience == AUDIENCE_DEPARTMENT else None,
        audience=audience,
        type=type,
        target=target,
        secret=secret,
        mentions=mentions,
        enabled=True,
        created_at=now,
    )
    session.add(channel)
    session.flush()
    # The audit log is read by leaders and departments: no secret, and the target masked.
    record(
        session, actor, "channel.create", "channel", channel.id,
        after={"audience": audience, "department_id": channel.department_id, "type": type,
               "target": mask_target(type, target), "has_secret": secret is not None, "mentions": mentions},
        now=now,
    )
    return channel


def _visible(actor: Actor, office_id: int, department_id: int | None) -> bool:
    if office_id != actor.office_id:
        return False
    if actor.is_department:
        return department_id is not None and department_id == actor.department_id
    return True


def get_channel(session: Session, actor: Actor, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or not _visible(actor, channel.office_id, channel.department_id):
        raise NotFound(f"渠道 {channel_id} 不存在")
    return channel


def list_channels(
    session: Session, actor: Actor, *, department_id: int | None = None, audience: str | None = None
) -> list[Channel]:
    query = select(Channel).where(Channel.office_id == actor.office_id)
    if actor.is_department:
        if department_id is not None and department_id != actor.department_id:
            raise NotFound(f"单位 {department_id} 不存在")
        department_id = actor.department_id
    if department_id is not None:
        query = query.where(Channel.department_id == department_id)
    if audience is not None:
        query = query.where(Channel.audience == audience)
    return list(session.scalars(query.order_by(Channel.id)))


CHANNEL_CHANGES = ("enabled", "target", "secret", "mentions")


def update_channel(
    session: Session,
    actor: Actor,
    config: NotifierConfig,
    channel_id: int,
    changes: Mapping[str, Any],
    *,
    now: datetime,
) -> Channel:
    """Change what `changes` names of a channel: enabled, target, secret (None or
    "" clears it) or mentions. The type stays; an office rotating a robot key keeps
    the channel's id and history. The result is checked as creating it would be."""
    unknown = [name for name in changes if name not in CHANNEL_CHANGES]
    if "type" in unknown:
        raise Invalid("渠道类型不能修改：请添加一个新渠道，再删除这个")
    if unknown:
        raise Invalid(f"只能修改 {', '.join(CHANNEL_CHANGES)}，不认识：{', '.join(unknown)}")
    if not changes:
        raise Invalid(f"请至少修改一项：{', '.join(CHANNEL_CHANGES)}")
    if "enabled" in changes and not isinstance(changes["enabled"], bool):
        raise Invalid("enabled 必须是 true 或 false")
    channel = get_channel(session, actor, channel_id)
    actor.require_admin_of(channel.office_id)
    lock_for_change(session, Channel, channel.id)  # a concurrent edit's values are the "before" of this one
    values = {"enabled": changes.get("enabled", channel.enabled)}
    if changes.keys() & {"target", "secret", "mentions"}:
        values["target"], values["secret"], values["mentions"] = validate_channel_input(
            config, type=channel.type,
            target=changes.get("target", channel.target),
            secret=changes["secret"] if "secret" in changes else channel.secret,
            mentions=changes.get("mentions", channel.mentions) or [],
        )
    changed = [name for name, value in values.items() if value != getattr(channel, name)]
    if not changed:
        return channel
    # The secret stays out of the audit log (only that it changed and whether one
    # is set), and the target is masked there.
    shown = [name for name in changed if name != "secret"]
    before = {name: getattr(channel, name) for name in shown}
    after = {name: values[name] for name in shown}
    if "target" in changed:
        before["target"] = mask_target(channel.type, channel.target)
        after["target"] = mask_target(channel.type, values["target"])
    if "secret" in changed:
        before["has_secret"] = channel.secret is not None
        after |= {"has_secret": values["secret"] is not None, "secret_changed": True}
    for name in changed:
        setattr(channel, name, values[name])
    if "target" in changed:
        # What is still queued goes to the new target: the old robot key may be revoked
        # already, and the secret is read from the channel when a message is sent.
        session.execute(
            update(Notification)
            .where(Notification.channel_id == channel.id, Notification.status.in_((PENDING, RETRY, SENDING)))
            .values(target=channel.target)
        )
    session.flush()
    record(session, actor, "channel.update", "channel", channel.id, before=before, after=after, now=now)
    return channel


def delete_channel(session: Session, actor: Actor, channel_id: int, *, now: datetime) -> None:
    channel = get_channel(session, actor, channel_id)
    actor.require_admin_of(channel.office_id)
    lock_for_change(session, Channel, channel.id)
    # What is still queued for the channel would otherwise go out without its secret.
    for notification in session.scalars(
        select(Notification).where(
            Notification.channel_id == channel.id, Notification.status.in_((PENDING, RETRY))
        )
    ):
        notification.status = CANCELLED
        notification.last_error = notification.last_error_words = "渠道已删除"
    record(session, actor, "channel.delete", "channel", channel.id,
           before={"type": channel.type, "target": mask_target(channel.type, channel.target),
                   "audience": channel.audience,
                   "department_id": channel.department_id},
           now=now)
    session.delete(channel)
    session.flush()


# --- notifications --------------------------------------------------------------


def visible_notifications(actor: Actor):
    """The office's own notifications (a department user: its own ones), and for the office
    the parent office's messages sent to its own channels (reminders of 上级交办), which its
    admins receive and so may read, though only the parent resends them."""
    if actor.is_department:
        return select(Notification).where(
            Notification.office_id == actor.office_id, Notification.department_id == actor.department_id
        )
    own_channels = select(Channel.id).where(Channel.office_id == actor.office_id, Channel.department_id.is_(None))
    return select(Notification).where(
        (Notification.office_id == actor.office_id) | Notification.channel_id.in_(own_channels)
    )


def list_notifications(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    channel: str | None = None,
    department_id: int | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Notification]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"状态必须是 {', '.join(STATUSES)} 之一")
    if channel is not None and channel not in CHANNEL_TYPES:
        raise Invalid(f"渠道类型必须是 {', '.join(CHANNEL_TYPES)} 之一")
    query = visible_notifications(actor)
    if status is not None:
        query = query.where(Notification.status == status)
    if channel is not None:
        query = query.where(Notification.channel_type == channel)
    if department_id is not None:
        query = query.where(Notification.department_id == department_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    query = query.order_by(Notification.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def get_notification(session: Session, actor: Actor, notification_id: int) -> Notification:
    notification = session.scalars(
        visible_notifications(actor).where(Notification.id == notification_id)
    ).first()
    if notification is None:
        raise NotFound(f"通知 {notification_id} 不存在")
    return notification


def attempts_of(session: Session, notification: Notification) -> list[DeliveryAttempt]:
    return list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == notification.id)
            .order_by(DeliveryAttempt.id)
        )
    )


def retry_notification(session: Session, actor: Actor, notification_id: int, *, now: datetime) -> Notification:
    """Put a dead (or waiting) notification back in the queue, due now."""
    notification = get_notification(session, actor, notification_id)
    if notification.office_id != actor.office_id:
        raise Forbidden("这条通知由上级办公室发出，只能由上级办公室重发")
    actor.require_admin_of(notification.office_id)
    # Locked: a second retry at once must see the first's PENDING (a dispatcher's claim skips it meanwhile).
    if lock_for_change(session, Notification, notification.id).status not in (DEAD, RETRY):
        raise Conflict(f"只有发送失败或等待重试的通知可以重发（当前状态：{notification.status}）")
    before = notification.status
    notification.status = PENDING
    channel = session.get(Channel, notification.channel_id) if notification.channel_id else None
    if channel is not None:
        # The office may have replaced a revoked robot key since the last attempt.
        notification.target = channel.target
    # A fresh budget of attempts; the earlier ones stay in the attempt history.
    notification.attempts = 0
    notification.next_attempt_at = now
    notification.lease_until = None
    notification.leased_by = None
    session.flush()
    record(session, actor, "notification.retry", "notification", notification.id,
           before={"status": before}, after={"status": PENDING}, now=now)
    return notification
