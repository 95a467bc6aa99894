"""Notifiers: one module per delivery channel behind one small interface.

    from notifiers import Message, Target, NotifierConfig, build_notifiers

    notifiers = build_notifiers(config, http_client)   # {"email": ..., "wecom": ...}
    result = await notifiers[target.channel_type].send(message, target)

Interface (notifiers/base.py):

- ``Message``: one already-rendered notification (id, subject, text,
  markdown, html, event, mentions). ``id`` is the notification id: it becomes
  the webhook-id and the email Message-ID, so re-sends are recognisable.
- ``Target``: where to (channel_type, address, secret, mentions). The address
  is an email address, a webhook URL, or a robot key / access token.
- ``send()`` returns a ``DeliveryResult`` and never raises for delivery
  problems:
  ``Sent(detail)``; ``RetryAfter(seconds | None, reason)`` for timeouts,
  connection errors, 5xx, 429 and rate-limit codes (seconds from Retry-After
  or the robot's documented block time); ``PermanentFailure(reason)`` for
  what retrying cannot fix: invalid key, bad signature, 4xx, host not
  allowed, over-size content.
- ``Notifier.max_message_bytes``: content size (UTF-8 bytes) the caller must
  split to with ``split_for_limit`` (None: unlimited). Notifiers refuse
  over-size content rather than truncate it.
- ``Notifier.rate_limit_per_minute``: the channel's own limit, for the
  dispatcher to pace sends per target (None: none).
- ``Notifier.mask_target(address)``: what may be shown of a target to
  anyone who need not edit it (a robot key and a webhook URL's path are
  credentials); ``mask_target(channel_type, address)`` picks the rule.
- ``ensure_host_allowed``: HTTP notifiers only call hosts in
  ``NotifierConfig.allowed_hosts`` (the webhook allowlist plus the hosts of
  the three robot base URLs).

Channels: email (SMTP), webhook (Standard Webhooks signature), wecom,
dingtalk, feishu (group/custom robots). Robot base URLs are configurable so
tests can point them at tests/support/robot_receiver.py.
"""

import httpx

from notifiers.base import (
    DeliveryResult,
    Message,
    Notifier,
    NotifierConfig,
    PermanentFailure,
    RetryAfter,
    Sent,
    Target,
    ensure_host_allowed,
    mask_robot_key,
    split_for_limit,
)
from notifiers.dingtalk import DingTalkNotifier
from notifiers.email import EmailNotifier
from notifiers.feishu import FeishuNotifier
from notifiers.webhook import WebhookNotifier
from notifiers.wecom import WeComNotifier

NOTIFIER_CLASSES = (EmailNotifier, WebhookNotifier, WeComNotifier, DingTalkNotifier, FeishuNotifier)
_MASKS = {cls.channel_type: cls.mask_target for cls in NOTIFIER_CLASSES}


def mask_target(channel_type: str, address: str) -> str:
    """The masked form of a target, by its channel type's own rule (an unknown
    type is treated as a credential)."""
    return _MASKS.get(channel_type, mask_robot_key)(address)


def build_notifiers(config: NotifierConfig, http_client: httpx.AsyncClient) -> dict[str, Notifier]:
    """One notifier per channel type, all sharing the given HTTP client."""
    return {cls.channel_type: cls(config, http_client) for cls in NOTIFIER_CLASSES}


__all__ = [
    "DeliveryResult",
    "DingTalkNotifier",
    "EmailNotifier",
    "FeishuNotifier",
    "Message",
    "Notifier",
    "NotifierConfig",
    "PermanentFailure",
    "RetryAfter",
    "Sent",
    "Target",
    "WebhookNotifier",
    "WeComNotifier",
    "build_notifiers",
    "ensure_host_allowed",
    "mask_target",
    "split_for_limit",
]
