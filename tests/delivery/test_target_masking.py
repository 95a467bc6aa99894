"""Robot keys and webhook URLs are credentials: shown in full only to an admin of
the owning office on the channel endpoints, masked everywhere else, and never
stored in the audit log."""

import pytest
from sqlalchemy import select

from notifiers import mask_target
from service.audit.models import AuditEvent

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
WEBHOOK_URL = "http://127.0.0.1:9/hooks/T0123/B0456/s3cr3t-token?sig=abc"
DINGTALK_TOKEN = "d1n6t4lk-access-token-0123456789"
RAW = (WECOM_KEY, "hooks/T0123", "s3cr3t-token", DINGTALK_TOKEN)
MASKED = {WECOM_KEY: "key …5aaa", WEBHOOK_URL: "http://127.0.0.1:9/…", DINGTALK_TOKEN: "key …6789"}
READERS = ["city_leader", "ip_user"]


@pytest.fixture
def channels(client, world):
    admin = world.headers("city_admin")
    ip = world.departments["ip"].id
    made = [
        client.post(f"/api/v1/departments/{ip}/channels", json={"type": "wecom", "target": WECOM_KEY}, headers=admin),
        client.post(f"/api/v1/departments/{ip}/channels", json={"type": "webhook", "target": WEBHOOK_URL},
                    headers=admin),
        client.post("/api/v1/channels", json={"type": "dingtalk", "target": DINGTALK_TOKEN, "audience": "leader"},
                    headers=admin),
    ]
    assert all(r.status_code == 201 for r in made), [r.text for r in made]
    return [r.json() for r in made]


def _no_raw_target(text: str) -> bool:
    return not any(raw in text for raw in RAW)


def test_mask_rules():
    assert mask_target("wecom", WECOM_KEY) == "key …5aaa"
    assert mask_target("feishu", "short") == "key ……"
    assert mask_target("webhook", WEBHOOK_URL) == "http://127.0.0.1:9/…"
    assert mask_target("webhook", "https://user:pw@hooks.example.cn") == "https://hooks.example.cn/…"
    assert mask_target("webhook", "https://hooks.example.cn") == "https://hooks.example.cn"
    assert mask_target("email", "ip@example.cn") == "ip@example.cn"
    assert mask_target("unknown", "abcdefghijkl") == "key …ijkl"


def test_the_owning_offices_admin_sees_targets_in_full(client, world, channels):
    headers = world.headers("city_admin")
    assert [c["target"] for c in channels] == [WECOM_KEY, WEBHOOK_URL, DINGTALK_TOKEN]
    listed = client.get("/api/v1/channels", headers=headers).json()
    assert [c["target"] for c in listed] == [WECOM_KEY, WEBHOOK_URL, DINGTALK_TOKEN]
    assert client.get(f"/api/v1/channels/{channels[0]['id']}", headers=headers).json()["target"] == WECOM_KEY
    patched = client.patch(f"/api/v1/channels/{channels[0]['id']}", json={"enabled": False}, headers=headers)
    assert patched.json()["target"] == WECOM_KEY


@pytest.mark.parametrize("user", READERS)
def test_leaders_and_departments_see_channel_targets_masked(client, world, channels, user):
    headers = world.headers(user)
    ip = world.departments["ip"].id
    for path in ("/api/v1/channels", f"/api/v1/departments/{ip}/channels", f"/api/v1/channels/{channels[0]['id']}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert _no_raw_target(response.text), path
    listed = client.get("/api/v1/channels", headers=headers).json()
    assert {c["target"] for c in listed} <= set(MASKED.values())
    assert MASKED[WECOM_KEY] in {c["target"] for c in listed}


@pytest.mark.parametrize("user", ["city_admin", *READERS])
def test_notifications_show_the_masked_target_to_everyone(client, world, channels, outbox, session, user):
    from service.delivery.models import Channel

    for channel in session.scalars(select(Channel).where(Channel.department_id == world.departments["ip"].id)):
        outbox(world.offices["city"].id, channel)
    session.commit()
    headers = world.headers(user)
    listed = client.get("/api/v1/notifications", headers=headers)
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert {n["target"] for n in listed.json()} == {MASKED[WECOM_KEY], MASKED[WEBHOOK_URL]}
    for notification in listed.json():
        detail = client.get(f"/api/v1/notifications/{notification['id']}", headers=headers)
        assert detail.status_code == 200 and _no_raw_target(detail.text)


def test_the_audit_log_never_stores_a_target(client, world, channels, session):
    admin = world.headers("city_admin")
    client.patch(f"/api/v1/channels/{channels[0]['id']}", json={"target": WECOM_KEY[::-1]}, headers=admin)
    client.patch(f"/api/v1/channels/{channels[1]['id']}", json={"target": WEBHOOK_URL + "x"}, headers=admin)
    client.delete(f"/api/v1/channels/{channels[2]['id']}", headers=admin)
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "channel")).all()
    assert {e.action for e in events} == {"channel.create", "channel.update", "channel.delete"}
    stored = repr([(e.before, e.after) for e in events])
    assert _no_raw_target(stored) and WECOM_KEY[::-1] not in stored
    assert "key …5aaa" in stored and "http://127.0.0.1:9/…" in stored
    for user in ["city_admin", *READERS]:
        response = client.get("/api/v1/audit", headers=world.headers(user))
        assert response.status_code == 200 and _no_raw_target(response.text)
