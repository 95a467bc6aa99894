"""Delivery test helpers: a world, Settings pointing every channel at the
local receivers, and a way to put notifications in the outbox."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.delivery.models import Channel, Notification
from service.delivery.service import enqueue
from service.database import transaction
from tests.factories import NOW


@pytest.fixture
def settings(database_url, robot_receiver, smtp_receiver) -> Settings:
    from tests.support.smtp_receiver import SMTP_PASSWORD, SMTP_USER

    return Settings(
        database_url=database_url,
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_from="督办 <duban@office.example.gov.cn>",
        wecom_base_url=robot_receiver.base_url,
        dingtalk_base_url=robot_receiver.base_url,
        feishu_base_url=robot_receiver.base_url,
    )


@pytest.fixture
def client(settings, world):
    """The API on the test database, its clock fixed at NOW."""
    with TestClient(create_app(settings, clock=FixedClock(NOW))) as client:
        yield client


@pytest.fixture
def add_channel(session_factory) -> Callable[..., Channel]:
    def add(office_id: int, type: str, target: str, *, department_id=None, audience="department",
            secret=None, mentions=()) -> Channel:
        with transaction(session_factory) as session:
            channel = Channel(office_id=office_id, department_id=department_id, audience=audience, type=type,
                              target=target, secret=secret, mentions=list(mentions), enabled=True, created_at=NOW)
            session.add(channel)
        return channel

    return add


@pytest.fixture
def outbox(session_factory) -> Callable[..., Notification]:
    def put(office_id: int, channel: Channel | None = None, *, channel_type=None, target=None, kind="assignment",
            department_id=None, event=None, text="请及时办理。", now=NOW) -> Notification:
        with transaction(session_factory) as session:
            return enqueue(
                session, office_id=office_id, department_id=department_id if channel is None else channel.department_id,
                channel_id=channel.id if channel else None,
                channel_type=channel.type if channel else channel_type, target=channel.target if channel else target,
                kind=kind, level="blue", subject="【督办】测试通知", body_text=text,
                body_markdown=f"**测试**\n{text}", body_html=f"<p>{text}</p>",
                event=event or {"type": kind}, mentions=[], now=now,
            )

    return put
