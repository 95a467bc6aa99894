"""WeCom, DingTalk and Feishu notifiers against the local robot receiver."""

from __future__ import annotations

import json

import httpx
import pytest

from notifiers import CHANNELS, PermanentFailure, RetryAfter, Sent, Target
from notifiers.dingtalk import DingTalkNotifier
from notifiers.feishu import FeishuNotifier
from notifiers.feishu import read_reply as read_feishu_reply
from notifiers.wecom import WeComNotifier
from tests.notifiers.sending import make_message, send, send_all, with_timeout

SECRET = "SEC8f2c0d1e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"

ROBOTS = {
    "wecom": WeComNotifier,
    "dingtalk": DingTalkNotifier,
    "feishu": FeishuNotifier,
}
# How long each robot blocks a sender that exceeded its rate.
THROTTLE_SECONDS = {"wecom": 60.0, "dingtalk": 600.0, "feishu": 60.0}


def sent_content(kind: str, payload: dict) -> str:
    """The message content inside a robot payload."""
    if kind == "wecom":
        return payload[payload["msgtype"]]["content"]
    if kind == "dingtalk":
        return payload["markdown"]["text"]
    return payload["card"]["elements"][0]["content"]


@pytest.fixture(params=sorted(ROBOTS))
def kind(request) -> str:
    return request.param


def test_markdown_message_is_accepted(kind, robot_receiver, notifier_config):
    message = make_message()

    result = send(notifier_config, message, Target(kind, "robot-key"))

    assert isinstance(result, Sent)
    [received] = robot_receiver.received(kind=kind, key="robot-key")
    assert sent_content(kind, received.payload) == message.markdown


def test_payload_follows_the_published_format(robot_receiver, notifier_config):
    message = make_message()

    send_all(
        notifier_config,
        (message, Target("wecom", "k")),
        (message, Target("dingtalk", "k")),
        (message, Target("feishu", "k")),
    )

    wecom, dingtalk, feishu = (robot_receiver.received(kind=k)[0].payload for k in ROBOTS)
    assert wecom == {"msgtype": "markdown", "markdown": {"content": message.markdown}}
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == message.subject
    assert feishu["msg_type"] == "interactive"
    assert feishu["card"]["header"]["title"]["content"] == message.subject


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_signed_robot_accepts_the_right_signature(kind, robot_receiver, notifier_config):
    robot_receiver.configure("signed", secret=SECRET)

    result = send(notifier_config, make_message(), Target(kind, "signed", secret=SECRET))

    assert isinstance(result, Sent)
    assert len(robot_receiver.received(kind=kind)) == 1


@pytest.mark.parametrize("secret", ["SECwrong", None])
@pytest.mark.parametrize(("kind", "code"), [("dingtalk", "310000"), ("feishu", "19021")])
def test_signed_robot_refuses_a_wrong_or_missing_signature(kind, code, secret, robot_receiver, notifier_config):
    robot_receiver.configure("signed", secret=SECRET)

    result = send(notifier_config, make_message(), Target(kind, "signed", secret=secret))

    assert isinstance(result, PermanentFailure)
    assert code in result.reason
    assert robot_receiver.received(kind=kind) == []


def test_invalid_key_is_permanent(kind, robot_receiver, notifier_config):
    robot_receiver.configure("revoked", invalid=True)

    result = send(notifier_config, make_message(), Target(kind, "revoked"))

    assert isinstance(result, PermanentFailure)
    code = {"wecom": "93000", "dingtalk": "300001", "feishu": "19001"}[kind]
    assert code in result.reason
    assert result.words == f"机器人拒收（错误码 {code}），请检查密钥、关键词或签名设置"


def test_rate_limit_code_means_retry_after_the_block(kind, robot_receiver, notifier_config):
    robot_receiver.configure("busy", rate_limit_per_minute=2)
    message = make_message()

    results = send_all(notifier_config, *[(message, Target(kind, "busy"))] * 3)

    assert [type(r) for r in results] == [Sent, Sent, RetryAfter]
    assert results[2].seconds == THROTTLE_SECONDS[kind]
    assert results[2].throttled  # a busy robot, not a failed message
    assert results[0].words == "已送达" and results[2].words == "对方限制了发送频率，系统将稍后重发"
    assert len(robot_receiver.received(kind=kind)) == 2


def test_server_error_is_retried_and_the_next_attempt_succeeds(kind, robot_receiver, notifier_config):
    robot_receiver.configure("flaky", fail_next=1)
    message = make_message()

    first, second = send_all(notifier_config, (message, Target(kind, "flaky")), (message, Target(kind, "flaky")))

    assert isinstance(first, RetryAfter)
    assert "500" in first.reason
    assert first.words == "接收方暂时出错（状态码 500），系统将稍后重试"
    assert isinstance(second, Sent)


def test_timeout_is_retried(kind, robot_receiver, notifier_config):
    robot_receiver.configure("slow", delay_seconds=1.0)

    result = send(with_timeout(notifier_config, 0.2), make_message(), Target(kind, "slow"))

    assert isinstance(result, RetryAfter)
    assert "timed out" in result.reason
    assert result.words == "对方长时间未应答，系统将稍后重试"


def test_connection_reset_is_retried(kind, robot_receiver, notifier_config):
    robot_receiver.configure("dropping", reset_next=1)

    result = send(notifier_config, make_message(), Target(kind, "dropping"))

    assert isinstance(result, RetryAfter)
    assert robot_receiver.received(kind=kind) == []


def test_oversize_content_is_refused_without_a_request(kind, robot_receiver, notifier_config):
    # WeCom markdown may be longer than the 2048 bytes WeCom text is held to.
    limit = ROBOTS[kind].body("督", "督", ()).max_bytes
    huge = "督" * (limit // 3 + 1)

    result = send(notifier_config, make_message(text=huge, markdown=huge), Target(kind, "k"))

    assert isinstance(result, PermanentFailure)
    assert "limit" in result.reason
    assert robot_receiver.attempts(kind=kind) == 0


def test_every_part_of_a_split_message_is_accepted(kind, robot_receiver, notifier_config):
    limit = ROBOTS[kind].body("-", "-", ()).max_bytes
    digest = "".join(f"- 第{n}项：市发展改革委牵头的措施将于2025-06-30到期，请及时报送进展。\n" for n in range(600))
    parts = [""]
    for line in digest.splitlines(keepends=True):  # whole lines, each part as full as the limit allows
        if len((parts[-1] + line).encode()) > limit:
            parts.append("")
        parts[-1] += line
    assert len(parts) > 1

    results = send_all(
        notifier_config,
        *[(make_message(text=part, markdown=part), Target(kind, "digest")) for part in parts],
    )

    assert all(isinstance(r, Sent) for r in results)
    received = robot_receiver.received(kind=kind, key="digest")
    assert "".join(sent_content(kind, m.payload) for m in received) == digest


def test_a_robot_mentions_people_exactly_when_the_registry_says_it_can(kind, robot_receiver, notifier_config):
    """The scan @s a department head only where `supports_mentions`: a robot that
    drops mentions must say so, or the head would be told nothing."""
    send(notifier_config, make_message(mentions=("13800000001",)), Target(kind, "k"))

    [received] = robot_receiver.received(kind=kind)
    assert ("13800000001" in json.dumps(received.payload)) == CHANNELS[kind].supports_mentions


def test_wecom_mentions_go_out_as_text_with_mobiles(robot_receiver, notifier_config):
    message = make_message(mentions=("13800000001",))

    result = send(notifier_config, message, Target("wecom", "k", mentions=("13900000002", "13800000001")))

    assert isinstance(result, Sent)
    [received] = robot_receiver.received(kind="wecom")
    assert received.payload["msgtype"] == "text"
    assert received.payload["text"] == {
        "content": message.text,
        "mentioned_mobile_list": ["13800000001", "13900000002"],
    }


def test_wecom_markdown_may_use_its_full_4096_bytes(robot_receiver, notifier_config):
    markdown = "督" * 1365  # 4095 bytes: over the text limit, within the markdown one

    result = send(notifier_config, make_message(markdown=markdown), Target("wecom", "k"))

    assert isinstance(result, Sent)


def test_wecom_text_with_mentions_is_held_to_2048_bytes(robot_receiver, notifier_config):
    text = "督" * 683  # 2049 bytes

    result = send(notifier_config, make_message(text=text, mentions=("13800000001",)), Target("wecom", "k"))

    assert isinstance(result, PermanentFailure)
    assert robot_receiver.attempts() == 0


def test_dingtalk_mentions_are_listed_and_written_in_the_text(robot_receiver, notifier_config):
    send(notifier_config, make_message(mentions=("13800000001",)), Target("dingtalk", "k"))

    [received] = robot_receiver.received(kind="dingtalk")
    assert received.payload["at"]["atMobiles"] == ["13800000001"]
    assert received.payload["markdown"]["text"].endswith("@13800000001")


def test_feishu_too_many_request_is_a_rate_limit_but_other_bad_requests_are_not():
    throttled = read_feishu_reply({"code": 9499, "msg": "too many request"})
    malformed = read_feishu_reply({"code": 9499, "msg": "Bad Request: fail to parse content"})

    assert isinstance(throttled, RetryAfter) and throttled.throttled
    assert isinstance(malformed, PermanentFailure)
    assert isinstance(read_feishu_reply({"StatusCode": 0, "StatusMessage": "success"}), Sent)


# The receiver itself is relied on by other tests: check it enforces the rules
# the notifiers are careful not to break.


def test_receiver_refuses_wecom_content_over_the_byte_limit(robot_receiver):
    reply = httpx.post(
        f"{robot_receiver.base_url}/cgi-bin/webhook/send?key=k",
        json={"msgtype": "text", "text": {"content": "督" * 683}},  # 2049 bytes
    )

    assert reply.json()["errcode"] == 40058
    assert robot_receiver.received() == []


def test_receiver_refuses_a_stale_dingtalk_timestamp(robot_receiver):
    from notifiers.dingtalk import sign

    robot_receiver.configure("signed", secret=SECRET)
    two_hours_ago = "1700000000000"
    reply = httpx.post(
        f"{robot_receiver.base_url}/robot/send",
        params={"access_token": "signed", "timestamp": two_hours_ago, "sign": sign(SECRET, two_hours_ago)},
        json={"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}},
    )

    assert reply.json() == {"errcode": 310000, "errmsg": "invalid timestamp"}


@pytest.mark.parametrize("mentions", [(), ("13800000001",)])
def test_a_message_is_sized_by_the_body_the_channel_sends(kind, mentions, robot_receiver, notifier_config):
    """The splitter sizes parts by `body`: it must be what arrives, mentions included."""
    message = make_message(mentions=mentions)
    expected = ROBOTS[kind].body(message.text, message.markdown, mentions)

    assert isinstance(send(notifier_config, message, Target(kind, "k")), Sent)

    [received] = robot_receiver.received(kind=kind)
    assert sent_content(kind, received.payload) == expected.content


def test_wecom_markdown_up_to_its_own_limit_goes_out_in_one_message_unless_someone_is_mentioned(
    robot_receiver, notifier_config
):
    long = "督" * 1000  # 3000 bytes: over the text limit, within the markdown one
    assert WeComNotifier.body(long, long, ()).fits
    assert not WeComNotifier.body(long, long, ("13800000001",)).fits

    sent = send(notifier_config, make_message(text=long, markdown=long), Target("wecom", "k"))
    refused = send(notifier_config, make_message(text=long, markdown=long, mentions=("13800000001",)), Target("wecom", "k"))

    assert isinstance(sent, Sent) and isinstance(refused, PermanentFailure)
    assert robot_receiver.attempts(kind="wecom") == 1
