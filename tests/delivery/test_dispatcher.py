"""The dispatcher against the local receivers: retries, dead rows and the
office alert, cancelled reminders, robot rate limits, leases."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.delivery.dispatcher import DispatchOptions, dispatch_once, message_id
from service.delivery.models import DeliveryAttempt, Notification, SendSlot
from service.delivery.service import digest_bodies, enqueue
from service.database import transaction
from service.milestones import service as workflow
from tests.factories import NOW, milestones_of


def _reload(session_factory, notification_id):
    with session_factory() as session:
        notification = session.get(Notification, notification_id)
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification_id).order_by(DeliveryAttempt.id)
        ).all()
        return notification, [a.outcome for a in attempts], attempts


def test_sent_once_over_a_webhook_with_the_notification_id(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    channel = add_channel(city, "webhook", robot_receiver.webhook_url("ip"), department_id=world.departments["ip"].id,
                          secret="whsec_c2VjcmV0LWtleS0xMjM0NTY3OA==")
    robot_receiver.configure("ip", secret="whsec_c2VjcmV0LWtleS0xMjM0NTY3OA==")
    notification = outbox(city, channel)

    summary = dispatch_once(session_factory, settings, now=NOW)

    assert summary["sent"] == 1 and summary["claimed"] == 1
    [received] = robot_receiver.received(kind="webhook", key="ip")
    assert received.headers["webhook-id"] == message_id(notification.id)
    row, outcomes, _ = _reload(session_factory, notification.id)
    assert (row.status, row.attempts, row.sent_at, row.leased_by) == ("sent", 1, NOW, None)
    assert outcomes == ["sent"]
    # Nothing is due any more: a second run sends nothing.
    assert dispatch_once(session_factory, settings, now=NOW + timedelta(hours=1))["claimed"] == 0
    assert len(robot_receiver.received(kind="webhook")) == 1


def test_receiver_down_then_up_is_delivered_once_after_retries(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    # Two dropped connections, then an HTTP 500, then the receiver is back.
    robot_receiver.configure("room", reset_next=2, fail_next=1)
    notification = outbox(city, add_channel(city, "wecom", "room", department_id=world.departments["ip"].id))

    now = NOW
    previous_due = None
    for _ in range(3):
        assert dispatch_once(session_factory, settings, now=now)["retry"] == 1
        row, _, _ = _reload(session_factory, notification.id)
        assert row.status == "retry"
        delay = row.next_attempt_at - now
        assert timedelta(seconds=1) < delay <= timedelta(hours=6)
        if previous_due is not None:
            assert delay > previous_due / 2  # backoff grows (with jitter)
        previous_due = delay
        # Not due yet: nothing happens before the backoff has passed.
        assert dispatch_once(session_factory, settings, now=now + delay - timedelta(seconds=1))["claimed"] == 0
        now = row.next_attempt_at
    assert dispatch_once(session_factory, settings, now=now)["sent"] == 1

    assert len(robot_receiver.received(kind="wecom", key="room")) == 1
    row, outcomes, attempts = _reload(session_factory, notification.id)
    assert (row.status, row.attempts) == ("sent", 4)
    assert outcomes == ["retry", "retry", "retry", "sent"]
    assert "HTTP 500" in attempts[2].detail


def test_permanent_error_goes_dead_and_alerts_the_office_once(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("bad-key", invalid=True)
    broken = add_channel(city, "wecom", "bad-key", department_id=world.departments["ip"].id)
    add_channel(city, "webhook", robot_receiver.webhook_url("office"), audience="office")
    notification = outbox(city, broken)

    summary = dispatch_once(session_factory, settings, now=NOW)

    assert summary["dead"] == 1 and summary["sent"] == 1  # the alert went out in the same run
    row, outcomes, attempts = _reload(session_factory, notification.id)
    assert (row.status, outcomes) == ("dead", ["dead"])
    assert "93000" in attempts[0].detail
    assert attempts[0].words == row.last_error_words == "机器人拒收（错误码 93000），请检查密钥、关键词或签名设置"
    [alert] = robot_receiver.received(kind="webhook", key="office")
    assert alert.payload["type"] == "delivery_dead"
    assert alert.payload["notification_id"] == notification.id
    with session_factory() as session:
        alert_row = session.scalars(select(Notification).where(Notification.kind == "delivery_dead")).one()
        assert "93000" in alert_row.body_text and alert_row.status == "sent"


def test_a_dead_alert_raises_no_alert_about_itself(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("bad-key", invalid=True)
    robot_receiver.configure("office-bad", invalid=True)
    add_channel(city, "wecom", "office-bad", audience="office")
    outbox(city, add_channel(city, "wecom", "bad-key", department_id=world.departments["ip"].id))

    summary = dispatch_once(session_factory, settings, now=NOW)

    assert summary["dead"] == 2
    with session_factory() as session:
        kinds = session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds == ["assignment", "delivery_dead"]


def test_too_many_retries_end_dead(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("flaky", fail_next=100)
    notification = outbox(city, add_channel(city, "webhook", robot_receiver.webhook_url("flaky")))
    options = DispatchOptions(max_attempts=3)
    now = NOW
    for _ in range(3):
        dispatch_once(session_factory, settings, now=now, options=options)
        now += timedelta(days=1)
    row, outcomes, _ = _reload(session_factory, notification.id)
    assert (row.status, outcomes) == ("dead", ["retry", "retry", "dead"])
    assert "已重试 3 次" in row.last_error
    assert row.last_error_words == "已重试 3 次仍失败：接收方暂时出错（状态码 500）"


def test_reminder_for_a_submitted_milestone_is_cancelled_not_sent(session_factory, session, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    channel = add_channel(city, "wecom", "ip-room", department_id=world.departments["ip"].id)
    milestone = milestones_of(session, world, "ip")[0]
    dev = milestones_of(session, world, "dev")[0]
    session.commit()  # SQLite: release the write lock the reads took
    event = {"type": "reminder", "milestones": [{"id": milestone.id, "due_version": milestone.due_version, "step": "T-3"}]}
    stale = outbox(city, channel, kind="reminder", event=event)
    workflow.submit_report(session, world.actor(session, "ip_user"), milestone.id, text="已完成", percent=100, now=NOW)
    session.commit()
    still_open = outbox(city, channel, kind="reminder", event={
        "type": "reminder", "milestones": [{"id": dev.id, "due_version": dev.due_version, "step": "T-3"}]})
    old_version = outbox(city, channel, kind="reminder", event={
        "type": "reminder", "milestones": [{"id": dev.id, "due_version": dev.due_version + 5, "step": "T-3"}]})

    summary = dispatch_once(session_factory, settings, now=NOW)

    assert (summary["cancelled"], summary["sent"]) == (2, 1)
    assert _reload(session_factory, stale.id)[0].status == "cancelled"
    assert _reload(session_factory, old_version.id)[0].status == "cancelled"
    assert _reload(session_factory, still_open.id)[0].status == "sent"
    assert len(robot_receiver.received(kind="wecom", key="ip-room")) == 1


def test_an_empty_message_is_never_sent(session_factory, settings, world, robot_receiver):
    with pytest.raises(ValueError):
        with transaction(session_factory) as session:
            enqueue(session, office_id=world.offices["city"].id, department_id=None, channel_id=None,
                    channel_type="wecom", target="k", kind="reminder", level="blue", subject="s", body_text="  \n",
                    body_markdown=None, body_html=None, event={}, mentions=[], now=NOW)
    assert dispatch_once(session_factory, settings, now=NOW)["claimed"] == 0
    assert robot_receiver.attempts() == 0


def test_a_digest_that_cannot_be_rendered_ends_dead_and_the_others_go(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    channel = add_channel(city, "wecom", "ip-room")
    item = {"milestone_id": 1, "kind": "reminder", "level": "blue", "link": None, "link_acts": True,
            "link_payload": {"m": 1, "v": 1, "mv": 1, "e": 0, "act": 1}}
    with transaction(session_factory) as session:
        broken = enqueue(session, office_id=city, department_id=None, channel_id=channel.id, channel_type="wecom",
                         target="ip-room", kind="reminder", level="blue", subject="【蓝色提醒】1项督办事项待办理",
                         template="no_such_template", template_context={"offset": 0, "count": 1},
                         event={"type": "duban.reminder", "items": [item]}, mentions=[], now=NOW).id
    fine = outbox(city, channel).id
    summary = dispatch_once(session_factory, settings, now=NOW)
    assert (summary["sent"], summary["dead"]) == (1, 1)
    assert _reload(session_factory, fine)[0].status == "sent"
    row, outcomes, _ = _reload(session_factory, broken)
    assert outcomes == ["dead"] and row.status == "dead" and row.body_text is None and row.last_error_words == "消息内容生成失败，未发送"
    assert len(robot_receiver.received(kind="wecom", key="ip-room")) == 1


def test_wecom_robot_gets_at_most_20_a_minute_across_dispatchers(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("busy-room", rate_limit_per_minute=20)
    channel = add_channel(city, "wecom", "busy-room")
    ids = [outbox(city, channel).id for _ in range(25)]

    first = dispatch_once(session_factory, settings, now=NOW, worker="replica-a")
    later = NOW + timedelta(seconds=10)
    ids += [outbox(city, channel, now=later).id for _ in range(3)]
    second = dispatch_once(session_factory, settings, now=later, worker="replica-b")

    assert (first["sent"], first["deferred"]) == (20, 5)
    assert (second["sent"], second["deferred"]) == (0, 3)
    assert len(robot_receiver.received(kind="wecom", key="busy-room")) == 20
    with session_factory() as session:
        waiting = session.scalars(select(Notification).where(Notification.status == "pending")).all()
        assert len(waiting) == 8 and all(n.attempts == 0 for n in waiting)
        due = min(n.next_attempt_at for n in waiting)
        assert due > NOW + timedelta(seconds=60)
        assert session.query(SendSlot).count() == 20
    # The robot's window is counted in real time; move the test's clock, not the receiver's.
    robot_receiver.reset()
    third = dispatch_once(session_factory, settings, now=due, worker="replica-c")
    assert third["sent"] == 8
    assert all(_reload(session_factory, i)[0].status == "sent" for i in ids)


def test_robot_rate_limit_answer_is_retried_later(session_factory, settings, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("shared-room", rate_limit_per_minute=0)
    notification = outbox(city, add_channel(city, "dingtalk", "shared-room"))
    assert dispatch_once(session_factory, settings, now=NOW)["retry"] == 1
    row, _, _ = _reload(session_factory, notification.id)
    assert row.status == "retry" and row.next_attempt_at == NOW + timedelta(seconds=600)


def test_email_to_a_department_address(session_factory, settings, world, smtp_receiver, outbox):
    city = world.offices["city"].id
    notification = outbox(city, channel_type="email", target="ip@example.cn", department_id=world.departments["ip"].id)
    assert dispatch_once(session_factory, settings, now=NOW)["sent"] == 1
    [message] = smtp_receiver.messages
    assert message.email["Subject"] == "【督办】测试通知"
    assert f"notification-{notification.id}" in message.email["Message-ID"]


def test_dispatcher_killed_mid_send_is_redelivered_after_the_lease(session_factory, settings, database_url, world, robot_receiver, add_channel, outbox):
    city = world.offices["city"].id
    robot_receiver.configure("slow", delay_seconds=3)
    notification = outbox(city, add_channel(city, "webhook", robot_receiver.webhook_url("slow")))
    env = {**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from service.cli import main; main()", "dispatch", "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while _reload(session_factory, notification.id)[0].status != "sending":
            assert time.monotonic() < deadline and worker.poll() is None, worker.stderr.read() if worker.poll() is not None else "timeout"
            time.sleep(0.05)
        time.sleep(0.5)  # the request is in flight
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(10)
    leased, _, _ = _reload(session_factory, notification.id)
    assert leased.status == "sending" and leased.lease_until is not None

    robot_receiver.configure("slow")
    # Before the lease runs out, nobody else touches the row.
    assert dispatch_once(session_factory, settings, now=leased.lease_until - timedelta(seconds=1))["claimed"] == 0
    summary = dispatch_once(session_factory, settings, now=leased.lease_until + timedelta(seconds=1))
    assert summary["lease_expired"] == 1 and summary["sent"] == 1

    time.sleep(3)  # let the killed worker's request finish at the receiver
    received = robot_receiver.received(kind="webhook", key="slow")
    assert 1 <= len(received) <= 2
    assert {m.headers["webhook-id"] for m in received} == {message_id(notification.id)}
    row, outcomes, _ = _reload(session_factory, notification.id)
    assert row.status == "sent" and outcomes == ["retry", "sent"]


def test_a_scan_digest_is_rendered_when_sent_in_its_channels_formats_and_kept(session_factory, settings, world, robot_receiver, smtp_receiver, add_channel):
    from service.reminders.scan import run_scan
    from service.workdays import WorkdayCalendar

    add_channel(world.offices["city"].id, "wecom", "ip-room", department_id=world.departments["ip"].id)
    run_scan(session_factory, settings, WorkdayCalendar(), NOW)
    with session_factory() as session:
        queued = session.scalars(select(Notification).where(Notification.template.is_not(None))).all()
        assert queued and all(n.body_text is None for n in queued)
        kinds = {n.id: n.channel_type for n in queued}
    dispatch_once(session_factory, settings, now=NOW)
    with session_factory() as session:
        sent = session.scalars(select(Notification).where(Notification.id.in_(kinds))).all()
    assert {n.status for n in sent} == {"sent"} and {"wecom", "email"} <= set(kinds.values())
    for n in sent:
        # The event keeps its links' payloads; they are signed, the same, whenever it is read or sent.
        assert all(item["link"] is None and item["link_payload"] for item in n.event["items"])
        assert all(item["link"].startswith(settings.base_url.rstrip("/") + "/m/") and "link_payload" not in item
                   for item in digest_bodies(settings, n).event["items"])
        if n.channel_type == "email":  # text and HTML go out; no markdown is rendered for mail
            assert n.body_text and n.body_html and n.body_markdown is None
        else:
            assert n.body_text and n.body_markdown and n.body_html is None
    robot = next(n for n in sent if n.channel_type == "wecom")
    assert [m.payload["markdown"]["content"] for m in robot_receiver.received(kind="wecom", key="ip-room")] == [
        robot.body_markdown]
