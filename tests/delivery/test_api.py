"""Channels and notifications over HTTP: who may do what, validation,
the test message, filters, retry, and secrets that never come back."""

import logging
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clock import FixedClock
from service.delivery.dispatcher import dispatch_once
from service.delivery.models import Notification
from tests.factories import NOW

SECRET = "whsec_c2VjcmV0LWtleS0xMjM0NTY3OA=="


def _create(client, world, user="city_admin", department="ip", **body):
    payload = {"type": "wecom", "target": "room-key", "mentions": []} | body
    return client.post(f"/api/v1/departments/{world.departments[department].id}/channels",
                       json=payload, headers=world.headers(user))


def test_admin_creates_channels_and_secrets_never_come_back(client, world, robot_receiver):
    created = _create(client, world, type="webhook", target=robot_receiver.webhook_url("ip"), secret=SECRET)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["has_secret"] is True and "secret" not in body and SECRET not in created.text
    office = client.post("/api/v1/channels", json={"type": "dingtalk", "target": "tok", "audience": "leader",
                                                    "secret": "SEC123"}, headers=world.headers("city_admin"))
    assert office.status_code == 201 and office.json()["department_id"] is None
    listed = client.get("/api/v1/channels", headers=world.headers("city_admin"))
    assert [c["id"] for c in listed.json()] == [body["id"], office.json()["id"]]
    assert SECRET not in listed.text and "SEC123" not in listed.text


def test_department_user_lists_own_channels_but_cannot_change_them(client, world):
    own = _create(client, world).json()
    other_department = _create(client, world, department="dev").json()
    headers = world.headers("ip_user")
    assert [c["id"] for c in client.get("/api/v1/channels", headers=headers).json()] == [own["id"]]
    assert client.get(f"/api/v1/departments/{world.departments['ip'].id}/channels", headers=headers).status_code == 200
    assert _create(client, world, user="ip_user").status_code == 403
    assert client.delete(f"/api/v1/channels/{own['id']}", headers=headers).status_code == 403
    assert client.post(f"/api/v1/channels/{own['id']}/test", headers=headers).status_code == 403
    assert client.patch(f"/api/v1/channels/{own['id']}", json={"enabled": False}, headers=headers).status_code == 403
    assert client.get(f"/api/v1/channels/{other_department['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/channels/{own['id']}", headers=world.headers("city_admin")).json()["enabled"] is True


def test_another_offices_channel_is_404(client, world):
    channel = _create(client, world).json()
    other = world.headers("other_admin")
    assert client.get(f"/api/v1/channels/{channel['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/channels/{channel['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/channels/{channel['id']}/test", headers=other).status_code == 404
    assert _create(client, world, user="other_admin").status_code == 404
    assert client.get("/api/v1/channels", headers=other).json() == []


@pytest.mark.parametrize("body, message", [
    ({"type": "email", "target": "not-an-address"}, "邮箱地址格式不正确"),
    ({"type": "webhook", "target": "ftp://127.0.0.1/x"}, "http:// 或 https://"),
    ({"type": "webhook", "target": "https://evil.example.com/hook"}, "不在允许列表"),
    ({"type": "wecom", "target": "  "}, "不能为空"),
    ({"type": "wecom", "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}, "只填写 key"),
    ({"type": "dingtalk", "target": "tok", "mentions": ["call me"]}, "手机号格式不正确"),
    ({"type": "sms", "target": "x"}, "type"),
])
def test_channel_input_is_validated(client, world, body, message):
    response = _create(client, world, **body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_test_message_is_sent_now_and_reported(client, world, robot_receiver):
    channel = _create(client, world, target="room-key").json()
    response = client.post(f"/api/v1/channels/{channel['id']}/test", headers=world.headers("city_admin"))
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True and response.json()["notification"]["kind"] == "test"
    [received] = robot_receiver.received(kind="wecom", key="room-key")
    assert "测试消息" in received.payload["markdown"]["content"]

    robot_receiver.configure("dead-key", invalid=True)
    broken = _create(client, world, target="dead-key").json()
    failed = client.post(f"/api/v1/channels/{broken['id']}/test", headers=world.headers("city_admin")).json()
    assert failed["ok"] is False and failed["status"] == "dead" and "93000" in failed["detail"]


def test_notifications_are_scoped_filtered_and_retried(client, settings, session_factory, world, robot_receiver, outbox):
    robot_receiver.configure("dead-key", invalid=True)
    city = world.offices["city"].id
    dead = outbox(city, channel_type="wecom", target="dead-key", department_id=world.departments["ip"].id)
    sent = outbox(city, channel_type="wecom", target="ok-key", department_id=world.departments["dev"].id)
    outbox(world.offices["other"].id, channel_type="wecom", target="ok-key")
    dispatch_once(session_factory, settings, now=NOW)
    admin = world.headers("city_admin")

    def ids(query="", user="city_admin"):
        response = client.get(f"/api/v1/notifications{query}", headers=world.headers(user))
        assert response.status_code == 200, response.text
        return {n["id"] for n in response.json()}

    assert ids() == {dead.id, sent.id}
    assert ids("?status=dead") == {dead.id}
    assert ids(f"?department={world.departments['dev'].id}") == {sent.id}
    assert ids("?channel=email") == set()
    assert ids(user="city_leader") == {dead.id, sent.id}
    assert ids(user="ip_user") == {dead.id}
    assert client.get("/api/v1/notifications?status=lost", headers=admin).status_code == 422
    detail = client.get(f"/api/v1/notifications/{dead.id}", headers=admin).json()
    assert [a["outcome"] for a in detail["history"]] == ["dead"]

    assert client.post(f"/api/v1/notifications/{dead.id}/retry", headers=world.headers("ip_user")).status_code == 403
    assert client.post(f"/api/v1/notifications/{dead.id}/retry", headers=world.headers("other_admin")).status_code == 404
    assert client.post(f"/api/v1/notifications/{sent.id}/retry", headers=admin).status_code == 409
    retried = client.post(f"/api/v1/notifications/{dead.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    robot_receiver.configure("dead-key")
    assert dispatch_once(session_factory, settings, now=NOW + timedelta(minutes=1))["sent"] == 1
    assert ids("?status=sent") == {dead.id, sent.id}


def test_secrets_stay_out_of_the_logs(client, settings, session_factory, world, robot_receiver, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    robot_receiver.configure("signed", secret=SECRET)
    channel = _create(client, world, type="webhook", target=robot_receiver.webhook_url("signed"), secret=SECRET).json()
    assert client.post(f"/api/v1/channels/{channel['id']}/test", headers=world.headers("city_admin")).json()["ok"]
    outbox(world.offices["city"].id, SimpleNamespace(id=channel["id"], department_id=channel["department_id"],
                                                     type="webhook", target=channel["target"]))
    assert dispatch_once(session_factory, settings, now=NOW)["sent"] == 1
    assert len(robot_receiver.received(kind="webhook", key="signed")) == 2
    assert caplog.records and SECRET not in caplog.text and SECRET.removeprefix("whsec_") not in caplog.text


def test_scheduler_runs_inside_the_app_and_stops_cleanly(settings, session_factory, world, robot_receiver, outbox):
    notification = outbox(world.offices["city"].id, channel_type="wecom", target="sched")
    app = create_app(settings, clock=FixedClock(NOW), start_scheduler=True)
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {"scan", "dispatch", "bulletin", "compact"}
        scheduler.get_job("dispatch").modify(next_run_time=datetime.now(timezone.utc))
        deadline = time.monotonic() + 20
        while not robot_receiver.received(kind="wecom", key="sched"):
            assert time.monotonic() < deadline, "the dispatch job never delivered"
            time.sleep(0.1)
    assert not scheduler.running
    with session_factory() as session:
        assert session.get(Notification, notification.id).status == "sent"
    assert create_app(settings).state.start_scheduler is False
