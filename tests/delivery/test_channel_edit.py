"""Editing a channel over the API: target, secret and mentions change in place,
checked like a new channel; the secret never comes back nor reaches the audit log;
who may; and messages still queued follow the new target."""

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.delivery.dispatcher import dispatch_once
from service.delivery.models import Channel
from tests.factories import NOW

OLD_SECRET = "SECold-4711-signing"
NEW_SECRET = "whsec_bmV3LXNlY3JldC1rZXktOTg3Ng=="  # Base64, as a webhook secret must be


def _state(session_factory, channel_id: int) -> tuple:
    """The channel as stored, and how many audit events there are."""
    with session_factory() as session:
        channel = session.get(Channel, channel_id)
        row = (channel.type, channel.target, channel.secret, channel.mentions, channel.enabled)
        return row, session.scalar(select(func.count()).select_from(AuditEvent))


def _updates(session_factory, channel_id: int) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.action == "channel.update", AuditEvent.entity_id == channel_id)
            .order_by(AuditEvent.id)
        ))


def _patch(client, world, channel_id: int, body: dict, user: str = "city_admin"):
    return client.patch(f"/api/v1/channels/{channel_id}", json=body, headers=world.headers(user))


def test_admin_rotates_the_key_secret_and_mentions_in_place(client, world, session_factory, add_channel, caplog):
    caplog.set_level(logging.DEBUG)
    city = world.offices["city"].id
    channel = add_channel(city, "dingtalk", "old-token", department_id=world.departments["ip"].id, secret=OLD_SECRET)

    response = _patch(client, world, channel.id, {"target": "new-token", "secret": "SECnew-0815", "mentions": ["13800000000"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["type"], body["target"], body["has_secret"], body["mentions"], body["enabled"]) == (
        channel.id, "dingtalk", "new-token", True, ["13800000000"], True)
    assert "secret" not in body and "SECnew-0815" not in response.text
    assert _state(session_factory, channel.id)[0] == ("dingtalk", "new-token", "SECnew-0815", ["13800000000"], True)
    [event] = _updates(session_factory, channel.id)
    # The audit log keeps the masked keys only.
    assert event.before == {"target": "key …oken", "mentions": [], "has_secret": True}
    assert event.after == {"target": "key …oken", "mentions": ["13800000000"], "has_secret": True, "secret_changed": True}

    # Only what is sent changes; a null or empty secret clears it.
    assert _patch(client, world, channel.id, {"secret": None}).json()["has_secret"] is False
    assert _patch(client, world, channel.id, {"secret": "SECthird-1"}).json()["has_secret"] is True
    cleared = _patch(client, world, channel.id, {"secret": ""}).json()
    assert (cleared["has_secret"], cleared["target"], cleared["mentions"]) == (False, "new-token", ["13800000000"])
    assert _patch(client, world, channel.id, {"enabled": False}).json()["enabled"] is False
    assert _state(session_factory, channel.id)[0] == ("dingtalk", "new-token", None, ["13800000000"], False)

    events = _updates(session_factory, channel.id)
    assert [e.after for e in events[1:]] == [
        {"has_secret": False, "secret_changed": True},
        {"has_secret": True, "secret_changed": True},
        {"has_secret": False, "secret_changed": True},
        {"enabled": False},
    ]
    trail = json.dumps([[e.before, e.after] for e in events])
    listed = client.get("/api/v1/channels", headers=world.headers("city_admin")).text
    for secret in (OLD_SECRET, "SECnew-0815", "SECthird-1"):
        assert secret not in trail and secret not in listed and secret not in caplog.text

    # Sending the same values again changes nothing and writes nothing.
    assert _patch(client, world, channel.id, {"target": "new-token", "enabled": False}).status_code == 200
    assert len(_updates(session_factory, channel.id)) == len(events)


@pytest.mark.parametrize("channel_type, body, message", [
    ("email", {"target": "not-an-address"}, "邮箱地址格式不正确"),
    ("webhook", {"target": "https://evil.example.com/hook"}, "不在允许列表"),
    ("webhook", {"target": "ftp://127.0.0.1/x"}, "http:// 或 https://"),
    ("webhook", {"secret": "not base64!"}, "Base64"),
    ("wecom", {"target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}, "只填写 key"),
    ("wecom", {"target": None}, "不能为空"),
    ("wecom", {"target": "   "}, "不能为空"),
    ("wecom", {"mentions": ["13800000000", "call me"]}, "手机号格式不正确"),
    ("wecom", {"type": "email", "target": "a@gz.gov.cn"}, "类型不能修改"),
    ("wecom", {"colour": "red"}, "不认识：colour"),
    ("wecom", {}, "至少修改一项"),
    ("wecom", {"enabled": None}, "enabled"),
    ("wecom", {"secret": "x" * 501}, "secret"),
    ("wecom", {"mentions": "13800000000"}, "mentions"),
])
def test_invalid_changes_are_refused_and_change_nothing(
    client, world, session_factory, add_channel, robot_receiver, channel_type, body, message
):
    target = {"email": "ip@gz.gov.cn", "webhook": robot_receiver.webhook_url("ip"), "wecom": "room-key"}[channel_type]
    secret = "whsec_c2VjcmV0LWtleS0xMjM0NTY3OA==" if channel_type == "webhook" else None
    channel = add_channel(world.offices["city"].id, channel_type, target, department_id=world.departments["ip"].id,
                          secret=secret, mentions=["13900000000"])
    before = _state(session_factory, channel.id)
    response = _patch(client, world, channel.id, body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert _state(session_factory, channel.id) == before


@pytest.mark.parametrize("username, department, status", [
    ("city_admin", "ip", 200),
    ("district_admin", "yuexiu_ip", 200),
    ("ip_user", "ip", 403),  # its own department: read-only, as for adding a channel
    ("dev_user", "ip", 404),  # another department's channel is none at all
    ("city_leader", "ip", 403),
    ("other_admin", "ip", 404),  # another office
    ("city_admin", "yuexiu_ip", 404),  # the parent office reads its districts' work but does not change it
    ("ip_user", None, 404),  # the office's own channel
])
def test_who_may_edit_a_channel(client, world, session_factory, add_channel, username, department, status):
    office = world.offices["district" if department == "yuexiu_ip" else "city"].id
    channel = add_channel(office, "wecom", "old-key", department_id=world.departments[department].id if department else None,
                          audience="department" if department else "office", secret=OLD_SECRET)
    before = _state(session_factory, channel.id)
    response = _patch(client, world, channel.id, {"target": "rotated-key", "secret": "SECnew", "mentions": ["13800000000"]},
                      user=username)
    assert response.status_code == status, response.text
    after = _state(session_factory, channel.id)
    if status == 200:
        assert after == (("wecom", "rotated-key", "SECnew", ["13800000000"], True), before[1] + 1)
    else:
        assert after == before


def test_queued_and_retried_messages_go_to_the_new_target(
    client, world, settings, session_factory, add_channel, outbox, robot_receiver
):
    robot_receiver.configure("revoked-key", invalid=True)
    city = world.offices["city"].id
    channel = add_channel(city, "wecom", "revoked-key", department_id=world.departments["ip"].id)
    dead = outbox(city, channel)
    assert dispatch_once(session_factory, settings, now=NOW)["dead"] == 1
    queued = outbox(city, channel)

    assert _patch(client, world, channel.id, {"target": "fresh-key"}).status_code == 200
    assert dispatch_once(session_factory, settings, now=NOW + timedelta(minutes=1))["sent"] == 1
    retried = client.post(f"/api/v1/notifications/{dead.id}/retry", headers=world.headers("city_admin"))
    # A notification's target is shown masked, even to the admin.
    assert retried.status_code == 200 and retried.json()["target"] == "key …-key"
    assert dispatch_once(session_factory, settings, now=NOW + timedelta(minutes=2))["sent"] == 1

    assert [m.payload["markdown"]["content"] for m in robot_receiver.received(kind="wecom", key="fresh-key")] == [
        queued.body_markdown, dead.body_markdown]
    assert robot_receiver.received(key="revoked-key") == []
    # The failed attempt keeps the target it went to.
    detail = client.get(f"/api/v1/notifications/{dead.id}", headers=world.headers("city_admin")).json()
    assert [a["outcome"] for a in detail["history"]] == ["dead", "sent"]


def test_a_webhook_signs_with_the_new_secret(client, world, add_channel, robot_receiver):
    channel = add_channel(world.offices["city"].id, "webhook", robot_receiver.webhook_url("old"),
                          department_id=world.departments["ip"].id, secret="whsec_c2VjcmV0LWtleS0xMjM0NTY3OA==")
    robot_receiver.configure("new", secret=NEW_SECRET)
    assert _patch(client, world, channel.id, {"target": robot_receiver.webhook_url("new"), "secret": NEW_SECRET}).status_code == 200
    tested = client.post(f"/api/v1/channels/{channel.id}/test", headers=world.headers("city_admin"))
    assert tested.json()["ok"] is True, tested.text
    assert len(robot_receiver.received(kind="webhook", key="new")) == 1
