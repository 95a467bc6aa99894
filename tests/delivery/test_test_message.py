"""The channel test message is sent outside the request's transaction: a slow
robot holds no database lock while the request waits for it."""

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.clock import FixedClock
from service.delivery.models import DeliveryAttempt, Notification
from tests.factories import NOW, milestones_of

SLOW_SECONDS = 4.0


@pytest.fixture
def client(settings, world):
    with TestClient(create_app(settings, clock=FixedClock(NOW))) as client:
        yield client


def test_a_slow_test_message_does_not_block_other_writers(client, world, session, session_factory, robot_receiver):
    admin = world.headers("city_admin")
    channel = client.post(f"/api/v1/departments/{world.departments['ip'].id}/channels",
                          json={"type": "wecom", "target": "slow-room"}, headers=admin).json()
    milestone_id = milestones_of(session, world, "ip")[0].id
    session.rollback()  # hold no read snapshot while the app writes
    robot_receiver.configure("slow-room", delay_seconds=SLOW_SECONDS)

    answer: dict = {}

    def test_channel() -> None:
        started = time.monotonic()
        answer["response"] = client.post(f"/api/v1/channels/{channel['id']}/test", headers=admin)
        answer["seconds"] = time.monotonic() - started

    sender = threading.Thread(target=test_channel)
    sender.start()
    deadline = time.monotonic() + 5
    while not robot_receiver.attempts(kind="wecom", key="slow-room"):
        assert time.monotonic() < deadline, "the test message never reached the robot"
        time.sleep(0.02)

    # The robot is sitting on the test message; a write elsewhere goes through at once.
    started = time.monotonic()
    acknowledged = client.post(f"/api/v1/milestones/{milestone_id}/ack", headers=world.headers("ip_user"))
    ack_seconds = time.monotonic() - started
    sender.join(30)

    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["state"] == "acknowledged"
    # Blocked, it would wait out most of the robot's delay; half of it leaves a
    # busy CI machine plenty of room without hiding a lock.
    assert ack_seconds < SLOW_SECONDS / 2, f"acknowledging waited {ack_seconds:.1f}s behind the test message"
    assert answer["seconds"] >= SLOW_SECONDS
    assert answer["response"].status_code == 200, answer["response"].text
    assert answer["response"].json()["ok"] is True
    with session_factory() as check:
        notification = check.scalars(select(Notification).where(Notification.kind == "test")).one()
        assert (notification.status, notification.attempts, notification.leased_by) == ("sent", 1, None)
        [attempt] = check.scalars(select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification.id))
        assert attempt.outcome == "sent" and attempt.worker == "api:city_admin"
        assert (attempt.finished_at - attempt.started_at).total_seconds() >= SLOW_SECONDS


def test_a_rate_limited_test_message_leaves_nothing_behind(client, world, session_factory, robot_receiver):
    admin = world.headers("city_admin")
    channel = client.post(f"/api/v1/departments/{world.departments['ip'].id}/channels",
                          json={"type": "wecom", "target": "busy-room"}, headers=admin).json()
    answers = [client.post(f"/api/v1/channels/{channel['id']}/test", headers=admin) for _ in range(21)]
    assert [a.status_code for a in answers] == [200] * 20 + [429]
    assert "每分钟最多发送 20 条" in answers[-1].json()["detail"]
    assert len(robot_receiver.received(kind="wecom", key="busy-room")) == 20
    with session_factory() as check:
        statuses = check.scalars(select(Notification.status).where(Notification.kind == "test")).all()
        assert statuses == ["sent"] * 20
