"""Delivery under faults, checked for the invariant that matters over years:
every notification ends delivered or dead-lettered with its reason, none is
lost, and a duplicate (same webhook-id) only where a dispatcher died with the
message in flight, or the receiver took a request the sender had given up on.

tests/delivery covers each fault alone and one killed single send; here the
faults come together, and a real `duban dispatch --once` dies by SIGKILL in
the middle of a batch of hundreds.
"""

import signal
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from service.config import Settings
from service.database import transaction
from service.delivery.dispatcher import dispatch_once, message_id
from service.delivery.models import Channel, DeliveryAttempt, Notification
from service.delivery.service import enqueue
from tests.factories import NOW
from tests.reliability.processes import start, run_together


def _settings(database_url, receiver) -> Settings:
    return Settings(database_url=database_url, webhook_allowed_hosts=["127.0.0.1"], wecom_base_url=receiver.base_url)


def _enqueue(session_factory, office_id, channel_type, target, n, *, channel_id=None, now=NOW) -> list[int]:
    with transaction(session_factory) as session:
        return [
            enqueue(session, office_id=office_id, department_id=None, channel_id=channel_id, channel_type=channel_type,
                    target=target, kind="assignment", level=None, subject="【督办】交办通知", body_text=f"第{i}条交办通知",
                    body_markdown=f"**第{i}条**交办通知", body_html=None, event={"type": "duban.assignment", "seq": i},
                    mentions=[], now=now).id
            for i in range(n)
        ]


def _channel(session_factory, office_id, channel_type, target) -> int:
    with transaction(session_factory) as session:
        channel = Channel(office_id=office_id, audience="department", type=channel_type, target=target, enabled=True)
        session.add(channel)
        session.flush()
        return channel.id


def _statuses(session_factory, ids) -> dict[int, str]:
    with session_factory() as session:
        return dict(session.execute(select(Notification.id, Notification.status).where(Notification.id.in_(ids))).all())


def _webhook_ids(receiver, **filters) -> Counter:
    return Counter(m.headers.get("webhook-id") for m in receiver.received(**filters))


def test_sigkill_mid_batch_then_restart_loses_nothing(database_url, session_factory, world, robot_receiver):
    office = world.offices["city"].id
    robot_receiver.configure("batch", delay_seconds=0.3)
    ids = _enqueue(session_factory, office, "webhook", robot_receiver.webhook_url("batch"), 600)
    worker = start(["dispatch", "--once"], database_url)
    try:
        deadline = time.monotonic() + 60
        while True:  # until the first batch is recorded and the next is on the wire
            statuses = Counter(_statuses(session_factory, ids).values())
            if statuses["sent"] >= 100 and statuses["sending"] >= 50:
                break
            assert worker.poll() is None and time.monotonic() < deadline, (statuses, worker.poll())
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    at_kill = _statuses(session_factory, ids)
    in_flight = {i for i, s in at_kill.items() if s == "sending"}
    recorded = {i for i, s in at_kill.items() if s == "sent"}
    assert in_flight and recorded and len(in_flight) + len(recorded) < len(ids) + 1

    robot_receiver.configure("batch")
    # The restarted dispatcher sends what nobody claimed; the dead one's leases hold their rows.
    [out] = run_together([["dispatch", "--once"]], database_url)
    with session_factory() as session:
        lease_end = session.scalar(select(func.max(Notification.lease_until)).where(Notification.id.in_(in_flight)))
    assert {i for i, s in _statuses(session_factory, ids).items() if s != "sent"} == in_flight
    # Once the leases run out, the rows come back and go out.
    summary = dispatch_once(session_factory, _settings(database_url, robot_receiver), now=lease_end + timedelta(seconds=1))
    assert summary["lease_expired"] == len(in_flight)
    time.sleep(1)  # the killed process's last requests land

    assert set(_statuses(session_factory, ids).values()) == {"sent"}
    delivered = _webhook_ids(robot_receiver, kind="webhook", key="batch")
    assert set(delivered) == {message_id(i) for i in ids}
    duplicated = {i for i in ids if delivered[message_id(i)] > 1}
    assert duplicated <= in_flight
    assert not duplicated & recorded


def test_every_fault_at_once_ends_sent_or_dead_with_a_reason(database_url, session_factory, world, robot_receiver):
    office = world.offices["city"].id
    settings = _settings(database_url, robot_receiver)
    faults = {
        "failing": dict(fail_next=25),  # 500 for a while
        "resetting": dict(reset_next=15),  # connection dropped without an answer
        "slow": dict(delay_seconds=11),  # past the 10-second client timeout
        "throttled": dict(rate_limit_per_minute=4),  # WeCom's 45009
        "bad-key": dict(invalid=True),  # WeCom's 93000: permanent
        "healthy": {},
    }
    counts = {"failing": 20, "resetting": 20, "slow": 2, "throttled": 12, "bad-key": 5, "healthy": 30}
    ids: dict[str, list[int]] = {}
    for key, behaviour in faults.items():
        robot_receiver.configure(key, **behaviour)
        if key in ("throttled", "bad-key"):
            channel_id = _channel(session_factory, office, "wecom", key)
            ids[key] = _enqueue(session_factory, office, "wecom", key, counts[key], channel_id=channel_id)
        else:
            ids[key] = _enqueue(session_factory, office, "webhook", robot_receiver.webhook_url(key), counts[key])
    everything = [i for group in ids.values() for i in group]

    now = NOW
    for round_ in range(40):
        dispatch_once(session_factory, settings, now=now)
        if round_ == 0:
            robot_receiver.configure("slow")  # the receiver recovers; the timed-out requests were still taken
        statuses = _statuses(session_factory, everything)
        if set(statuses.values()) <= {"sent", "dead"}:
            break
        if round_ == 2:
            # The robot's one-minute window is real time; lift it as a real minute would.
            robot_receiver.configure("throttled")
        now += timedelta(minutes=30)
    time.sleep(1)

    statuses = _statuses(session_factory, everything)
    assert {i for i, s in statuses.items() if s == "dead"} == set(ids["bad-key"])
    assert {i for i, s in statuses.items() if s == "sent"} == set(everything) - set(ids["bad-key"])
    with session_factory() as session:
        reasons = session.scalars(select(Notification.last_error).where(Notification.id.in_(ids["bad-key"]))).all()
        assert all(reason and "93000" in reason for reason in reasons), reasons
        # Every attempt is kept: the faulty channels needed more than one each.
        attempts = Counter(session.scalars(select(DeliveryAttempt.notification_id)).all())
    assert all(attempts[i] >= 1 for i in everything)
    assert sum(attempts[i] for i in ids["failing"]) >= counts["failing"] + 25
    assert sum(attempts[i] for i in ids["resetting"]) >= counts["resetting"] + 15

    for key in ("failing", "resetting", "healthy"):
        assert _webhook_ids(robot_receiver, kind="webhook", key=key) == Counter({message_id(i): 1 for i in ids[key]})
    # A timed-out request the receiver still took arrives twice, under one webhook-id.
    slow = _webhook_ids(robot_receiver, kind="webhook", key="slow")
    assert set(slow) == {message_id(i) for i in ids["slow"]} and set(slow.values()) <= {1, 2}
    throttled = robot_receiver.received(kind="wecom", key="throttled")
    assert len(throttled) == counts["throttled"]
    assert robot_receiver.received(kind="wecom", key="bad-key") == []
