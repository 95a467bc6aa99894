from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from notifiers import CHANNEL_TYPES, mask_target
from service.auth.actor import Actor
from service.delivery import service
from service.delivery.dispatcher import send_test_message
from service.delivery.models import Channel, DeliveryAttempt, Notification
from service.dependencies import ActorDep, IdPath, IdQuery, NowDep, OffsetQuery, SessionDep, SettingsDep
from service.text import Line

router = APIRouter(tags=["delivery"])

ChannelType = Literal[CHANNEL_TYPES]


class ChannelIn(BaseModel):
    type: ChannelType
    target: Line = Field(max_length=1000)
    secret: Line | None = Field(default=None, max_length=500)
    mentions: list[Line] = Field(default_factory=list, max_length=50)


class OfficeChannelIn(ChannelIn):
    audience: Literal["office", "leader"]


class ChannelPatch(BaseModel):
    """Only the fields sent change; a null or empty secret clears it. The type never changes."""

    # Other fields (such as type) reach the service, which refuses them by name
    # rather than ignoring them.
    model_config = ConfigDict(extra="allow")

    enabled: bool | None = None
    target: Line | None = Field(default=None, max_length=1000)
    secret: Line | None = Field(default=None, max_length=500)
    mentions: list[Line] | None = Field(default=None, max_length=50)


class ChannelOut(BaseModel):
    """No secret here: only whether one is set."""

    id: int
    office_id: int
    department_id: int | None
    audience: str
    type: str
    target: str = Field(description="In full for an admin of the owning office; masked for everyone else "
                                    "(robots: key …abcd; webhooks: scheme and host only)")
    has_secret: bool
    mentions: list[str]
    enabled: bool
    created_at: datetime


class AttemptOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    detail: str
    words: str
    worker: str


class NotificationOut(BaseModel):
    id: int
    office_id: int
    department_id: int | None
    channel_id: int | None
    channel_type: str
    target: str = Field(description="Masked as on the channel (key …abcd; webhooks: scheme and host only)")
    kind: str
    level: str | None
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_error_words: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationDetail(NotificationOut):
    body_text: str
    body_markdown: str | None
    body_html: str | None
    event: dict
    history: list[AttemptOut]


class TestResult(BaseModel):
    ok: bool
    status: str
    detail: str
    words: str
    notification: NotificationOut


def channel_out(channel: Channel, actor: Actor) -> ChannelOut:
    return ChannelOut(
        id=channel.id, office_id=channel.office_id, department_id=channel.department_id,
        audience=channel.audience, type=channel.type, target=service.shown_target(actor, channel),
        has_secret=channel.secret is not None, mentions=channel.mentions or [],
        enabled=channel.enabled, created_at=channel.created_at,
    )


def notification_out(notification: Notification) -> NotificationOut:
    # Nobody edits a notification's target: it is shown masked to everyone.
    return NotificationOut.model_validate(notification, from_attributes=True).model_copy(
        update={"target": mask_target(notification.channel_type, notification.target)}
    )


def attempt_out(attempt: DeliveryAttempt) -> AttemptOut:
    return AttemptOut.model_validate(attempt, from_attributes=True)


@router.post("/departments/{department_id}/channels", response_model=ChannelOut, status_code=201)
def create_department_channel(
    department_id: IdPath, body: ChannelIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    channel = service.create_channel(
        session, actor, service.notifier_config(settings), audience="department",
        department_id=department_id, **body.model_dump(), now=now,
    )
    return channel_out(channel, actor)


@router.get("/departments/{department_id}/channels", response_model=list[ChannelOut])
def list_department_channels(department_id: IdPath, actor: ActorDep, session: SessionDep):
    return [channel_out(c, actor) for c in service.list_channels(session, actor, department_id=department_id)]


@router.post("/channels", response_model=ChannelOut, status_code=201)
def create_office_channel(
    body: OfficeChannelIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    channel = service.create_channel(
        session, actor, service.notifier_config(settings), department_id=None, **body.model_dump(), now=now,
    )
    return channel_out(channel, actor)


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(
    actor: ActorDep,
    session: SessionDep,
    department_id: IdQuery = None,
    audience: Literal["department", "office", "leader"] | None = None,
):
    return [
        channel_out(c, actor)
        for c in service.list_channels(session, actor, department_id=department_id, audience=audience)
    ]


@router.get("/channels/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: IdPath, actor: ActorDep, session: SessionDep):
    return channel_out(service.get_channel(session, actor, channel_id), actor)


@router.patch("/channels/{channel_id}", response_model=ChannelOut)
def update_channel(
    channel_id: IdPath, body: ChannelPatch, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
    channel = service.update_channel(
        session, actor, service.notifier_config(settings), channel_id, body.model_dump(exclude_unset=True), now=now
    )
    return channel_out(channel, actor)


@router.delete("/channels/{channel_id}", status_code=204)
def delete_channel(channel_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    service.delete_channel(session, actor, channel_id, now=now)
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=TestResult)
def test_channel(channel_id: IdPath, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep):
    notification, attempt = send_test_message(session, actor, settings, channel_id, now=now)
    return TestResult(
        ok=notification.status == "sent", status=notification.status, detail=attempt.detail, words=attempt.words,
        notification=notification_out(notification),
    )


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    actor: ActorDep,
    session: SessionDep,
    status: str | None = None,
    channel: str | None = None,
    department: IdQuery = None,
    kind: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: OffsetQuery = 0,
):
    rows = service.list_notifications(
        session, actor, status=status, channel=channel, department_id=department, kind=kind,
        limit=limit, offset=offset,
    )
    return [notification_out(n) for n in rows]


@router.get("/notifications/{notification_id}", response_model=NotificationDetail)
def get_notification(notification_id: IdPath, actor: ActorDep, session: SessionDep, settings: SettingsDep):
    notification = service.get_notification(session, actor, notification_id)
    # A digest not sent yet is shown as it will be sent.
    bodies = service.digest_bodies(settings, notification)
    return NotificationDetail(
        **notification_out(notification).model_dump(),
        body_text=bodies.text, body_markdown=bodies.markdown, body_html=bodies.html, event=bodies.event,
        history=[attempt_out(a) for a in service.attempts_of(session, notification)],
    )


@router.post("/notifications/{notification_id}/retry", response_model=NotificationOut)
def retry_notification(notification_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    return notification_out(service.retry_notification(session, actor, notification_id, now=now))
