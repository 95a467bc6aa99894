"""A robot that keeps answering "rate limited" (robots are often shared with
other systems) delays a message; it does not use up its failed attempts."""

from datetime import timedelta

from service.delivery.dispatcher import DispatchOptions, dispatch_once
from service.delivery.models import DeliveryAttempt, Notification
from tests.factories import NOW


def _state(session_factory, notification_id):
    with session_factory() as session:
        row = session.get(Notification, notification_id)
        outcomes = [a.outcome for a in session.query(DeliveryAttempt).filter_by(notification_id=notification_id)]
        return row, outcomes


def _run_until_settled(session_factory, settings, notification_id, now, rounds, options=DispatchOptions()):
    for _ in range(rounds):
        dispatch_once(session_factory, settings, now=now, options=options)
        row, _ = _state(session_factory, notification_id)
        if row.status in ("sent", "dead"):
            return row
        now = row.next_attempt_at
    return row


def test_throttled_twelve_times_then_delivered(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("busy-room", rate_limit_per_minute=0)  # every request: errcode 45009
    notification = outbox(city, add_channel(city, "wecom", "busy-room", department_id=world.departments["ip"].id))

    row = _run_until_settled(session_factory, settings, notification.id, NOW, rounds=12)
    assert row.status == "retry"  # more throttled answers than max_attempts, and still alive
    assert row.attempts == 0
    robot_receiver.configure("busy-room")
    row = _run_until_settled(session_factory, settings, notification.id, row.next_attempt_at, rounds=1)

    assert (row.status, row.attempts) == ("sent", 1)
    _, outcomes = _state(session_factory, notification.id)
    assert outcomes == ["retry"] * 12 + ["sent"]
    assert len(robot_receiver.received(kind="wecom", key="busy-room")) == 1


def test_throttled_past_the_age_limit_is_dead_with_the_reason(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("busy-room", rate_limit_per_minute=0)
    notification = outbox(city, add_channel(city, "wecom", "busy-room", department_id=world.departments["ip"].id))
    options = DispatchOptions(max_throttled_seconds=3600)

    row = _run_until_settled(session_factory, settings, notification.id, NOW + timedelta(minutes=59), 1, options)
    assert row.status == "retry"
    row = _run_until_settled(session_factory, settings, notification.id, NOW + timedelta(hours=2), 1, options)
    assert row.status == "dead"
    assert "持续限流" in row.last_error and "45009" in row.last_error
