"""Generic webhook: POST the JSON event to the target URL, signed per the
Standard Webhooks spec (https://www.standardwebhooks.com/):

    webhook-id:        the notification id (same on every retry, so the
                       receiver can drop duplicates)
    webhook-timestamp: Unix seconds
    webhook-signature: v1,<Base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>

The key is the target secret, Base64 with an optional "whsec_" prefix.
Without a secret the request goes unsigned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from notifiers.base import (
    ChannelNotifier,
    DeliveryResult,
    InvalidTarget,
    Message,
    PermanentFailure,
    Sent,
    Setting,
    Target,
    mask_url,
)
from notifiers.transport import json_body, post

if TYPE_CHECKING:
    from notifiers import NotifierConfig

SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key in a Standard Webhooks secret; ValueError if malformed."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("webhook secret is not valid Base64") from exc


def signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode("utf-8") + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


class WebhookNotifier(ChannelNotifier):
    channel_type = "webhook"
    label = "Webhook"
    supports_mentions = False
    formats = ()  # the event alone
    rate_limit_per_minute = None
    mask_target = staticmethod(mask_url)
    # Webhook URLs are typed in by users: only these hosts (and the robots') may be called.
    allowed_hosts_setting = Setting("webhook_allowed_hosts", tuple[str, ...], ())
    settings = (allowed_hosts_setting,)

    @classmethod
    def hosts(cls, config: NotifierConfig) -> tuple[str, ...]:
        return config.webhook_allowed_hosts

    @classmethod
    def check_target(cls, address: str, secret: str | None, config: NotifierConfig) -> str:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidTarget("Webhook 地址必须是 http:// 或 https:// 开头的完整网址")
        if parts.hostname.lower() not in config.allowed_hosts:
            raise InvalidTarget(f"Webhook 主机 {parts.hostname} 不在允许列表中（DUBAN_WEBHOOK_ALLOWED_HOSTS）")
        if secret is not None:
            try:
                signing_key(secret)
            except ValueError:
                raise InvalidTarget("Webhook 签名密钥必须是 Base64（可带 whsec_ 前缀）", field="secret") from None
        return address

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        body = json_body({**message.event, "id": message.id})
        timestamp = str(int(time.time()))
        headers = {"webhook-id": message.id, "webhook-timestamp": timestamp}
        if target.secret:
            try:
                key = signing_key(target.secret)
            except ValueError as exc:
                return PermanentFailure(str(exc), "签名密钥无效，请检查渠道设置")
            headers["webhook-signature"] = signature(key, message.id, timestamp, body)
        response = await post(self.http_client, self.config, target.address, body, headers)
        if isinstance(response, httpx.Response):
            return Sent(f"HTTP {response.status_code}")
        return response
