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
- ``Notifier.body(text, markdown, mentions)``: the ``Body`` the channel would
  send for a message (its format, the content as sent, mentions included where
  they go into it, and the platform's byte limit on it). ``fits(channel_type,
  text, markdown, mentions)`` is how the caller sizes the parts of a long
  digest; send() uses the same body, and refuses over-size content rather than
  truncate it.
- ``Notifier.rate_limit_per_minute``: the channel's own limit, for the
  dispatcher to pace sends per target (None: none).
- ``Notifier.mask_target(address)``: what may be shown of a target to
  anyone who need not edit it (a robot key and a webhook URL's path are
  credentials); ``mask_target(channel_type, address)`` picks the rule.
- ``Notifier.label`` (its Chinese name), ``supports_mentions`` (whether
  Target.mentions reach anyone) and ``check_target(address, secret, config)``
  (the address if the channel can send to it, else ``InvalidTarget``).

``CHANNELS`` is the registry, by channel type: the only list of channel types
(``CHANNEL_TYPES``); the service reads labels, limits, body sizes, target rules and
mention support from it.
- ``Notifier.settings``: what the channel needs configured (``Setting``: name,
  type, default, the environment variable's name when it differs). ``NotifierConfig``
  has an attribute for each channel's settings and ``TIMEOUT``; the service's
  ``Settings`` reads them from ``DUBAN_<NAME>``. A new channel's settings are
  declared in its module only.
- ``ensure_host_allowed``: HTTP notifiers only call hosts in
  ``NotifierConfig.allowed_hosts``: every channel's ``hosts(config)`` (the
  webhook allowlist plus the hosts of the three robot base URLs).

Channels: email (SMTP), webhook (Standard Webhooks signature), wecom,
dingtalk, feishu (group/custom robots). Robot base URLs are configurable so
tests can point them at tests/support/robot_receiver.py.
"""

from dataclasses import field, make_dataclass

import httpx

from notifiers.base import (
    Body,
    TIMEOUT,
    DeliveryResult,
    InvalidTarget,
    Message,
    Notifier,
    PermanentFailure,
    RetryAfter,
    Sent,
    Setting,
    Target,
    ensure_host_allowed,
    mask_robot_key,
)
from notifiers.dingtalk import DingTalkNotifier
from notifiers.email import EmailNotifier
from notifiers.feishu import FeishuNotifier
from notifiers.webhook import WebhookNotifier
from notifiers.wecom import WeComNotifier

CHANNELS: dict[str, type[Notifier]] = {
    cls.channel_type: cls for cls in (EmailNotifier, WebhookNotifier, WeComNotifier, DingTalkNotifier, FeishuNotifier)
}
CHANNEL_TYPES = tuple(CHANNELS)
CHANNEL_LABELS = {channel_type: cls.label for channel_type, cls in CHANNELS.items()}
SETTINGS: tuple[Setting, ...] = (*(s for cls in CHANNELS.values() for s in cls.settings), TIMEOUT)


def _allowed_hosts(config) -> frozenset[str]:
    return frozenset(h.lower() for cls in CHANNELS.values() for h in cls.hosts(config) if h)


# What every notifier is built with: one attribute per declared setting, so adding a
# channel adds its settings here (and to the service's Settings) without a second list.
NotifierConfig = make_dataclass(
    "NotifierConfig",
    [(s.name, s.type, field(default=s.default)) for s in SETTINGS],
    frozen=True,
    namespace={"allowed_hosts": property(_allowed_hosts)},
)
NotifierConfig.__module__ = __name__


def mask_target(channel_type: str, address: str) -> str:
    """The masked form of a target, by its channel type's own rule (an unknown
    type is treated as a credential)."""
    channel = CHANNELS.get(channel_type)
    return channel.mask_target(address) if channel else mask_robot_key(address)


def supports_mentions(channel_type: str) -> bool:
    return CHANNELS[channel_type].supports_mentions


def fits(channel_type: str, text: str, markdown: str | None, mentions: tuple[str, ...] | list[str] = ()) -> bool:
    """Whether a message goes out on this channel type in one request, measured on
    the body the channel actually sends (WeCom sends text, held to 2048 bytes,
    when someone is @-mentioned, and markdown, held to 4096, otherwise)."""
    return CHANNELS[channel_type].body(text, markdown, tuple(mentions)).fits


def formats(channel_type: str) -> tuple[str, ...]:
    """The bodies a channel sends (Notifier.formats)."""
    return CHANNELS[channel_type].formats


def has_size_limit(channel_type: str, mentions: tuple[str, ...] | list[str] = ()) -> bool:
    """Whether the channel limits the size of what it sends with these mentions
    (robots do; email and webhooks carry any size)."""
    return CHANNELS[channel_type].body("", "", tuple(mentions)).max_bytes is not None


def build_notifiers(config: NotifierConfig, http_client: httpx.AsyncClient) -> dict[str, Notifier]:
    """One notifier per channel type, all sharing the given HTTP client."""
    return {channel_type: cls(config, http_client) for channel_type, cls in CHANNELS.items()}


__all__ = [
    "Body",
    "CHANNELS",
    "CHANNEL_LABELS",
    "CHANNEL_TYPES",
    "DeliveryResult",
    "DingTalkNotifier",
    "EmailNotifier",
    "FeishuNotifier",
    "InvalidTarget",
    "Message",
    "Notifier",
    "NotifierConfig",
    "PermanentFailure",
    "RetryAfter",
    "SETTINGS",
    "Sent",
    "Setting",
    "Target",
    "WebhookNotifier",
    "WeComNotifier",
    "build_notifiers",
    "fits",
    "formats",
    "has_size_limit",
    "ensure_host_allowed",
    "mask_target",
    "supports_mentions",
]
