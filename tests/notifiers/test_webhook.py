"""Generic webhook notifier against the receiver's Standard Webhooks endpoint."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from notifiers import PermanentFailure, RetryAfter, Sent, Target
from tests.notifiers.sending import make_message, send, with_timeout

SECRET = "whsec_" + base64.b64encode(b"duban-webhook-signing-key-32byte").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"someone-elses-signing-key-32byte").decode()


@pytest.fixture
def config(notifier_config):
    return dataclasses.replace(notifier_config, webhook_allowed_hosts=("127.0.0.1",))


def test_signed_event_is_accepted(robot_receiver, config):
    robot_receiver.configure("office", secret=SECRET)
    message = make_message()

    result = send(config, message, Target("webhook", robot_receiver.webhook_url("office"), secret=SECRET))

    assert isinstance(result, Sent)
    [received] = robot_receiver.received(kind="webhook", key="office")
    assert received.payload == {**message.event, "id": message.id}
    assert received.headers["webhook-id"] == message.id
    assert received.headers["webhook-signature"].startswith("v1,")


def test_signature_with_another_secret_is_refused(robot_receiver, config):
    robot_receiver.configure("office", secret=SECRET)

    result = send(config, make_message(), Target("webhook", robot_receiver.webhook_url("office"), secret=OTHER_SECRET))

    assert isinstance(result, PermanentFailure)
    assert "401" in result.reason
    assert robot_receiver.received() == []


def test_malformed_secret_is_permanent_without_a_request(robot_receiver, config):
    result = send(config, make_message(), Target("webhook", robot_receiver.webhook_url("office"), secret="whsec_!!"))

    assert isinstance(result, PermanentFailure)
    assert robot_receiver.attempts() == 0


def test_host_not_on_the_allowlist_is_refused_without_a_request(robot_receiver, config):
    url = robot_receiver.webhook_url("office").replace("127.0.0.1", "localhost")

    result = send(config, make_message(), Target("webhook", url, secret=SECRET))

    assert isinstance(result, PermanentFailure)
    assert "not on the allowed hosts" in result.reason
    assert robot_receiver.attempts() == 0


def test_429_is_retried_after_the_retry_after_header(robot_receiver, config):
    robot_receiver.configure("office", rate_limit_per_minute=0)

    result = send(config, make_message(), Target("webhook", robot_receiver.webhook_url("office")))

    assert result == RetryAfter(30.0, result.reason, throttled=True, words="对方限制了发送频率，系统将稍后重发")
    assert "429" in result.reason


def test_unknown_endpoint_is_permanent(robot_receiver, config):
    robot_receiver.configure("gone", invalid=True)

    result = send(config, make_message(), Target("webhook", robot_receiver.webhook_url("gone")))

    assert isinstance(result, PermanentFailure)
    assert "404" in result.reason


@pytest.mark.parametrize(
    ("behaviour", "timeout"),
    [({"fail_next": 1}, 2.0), ({"delay_seconds": 1.0}, 0.2), ({"reset_next": 1}, 2.0)],
    ids=["500", "timeout", "reset"],
)
def test_transient_failures_are_retried(behaviour, timeout, robot_receiver, config):
    robot_receiver.configure("office", **behaviour)

    result = send(with_timeout(config, timeout), make_message(), Target("webhook", robot_receiver.webhook_url("office")))

    assert isinstance(result, RetryAfter)
    assert robot_receiver.received() == []
