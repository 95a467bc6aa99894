"""HTTP delivery shared by the webhook and robot notifiers: the allowlist
check, transport errors, status codes and robot error codes, each mapped to
a DeliveryResult in one place."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import httpx

from notifiers.base import (
    INVALID_ADDRESS,
    NOT_REACHED,
    DeliveryResult,
    PermanentFailure,
    RetryAfter,
    Sent,
    ensure_host_allowed,
)

if TYPE_CHECKING:
    from notifiers import NotifierConfig

# Statuses a later attempt can succeed on; every other 4xx is the request's fault.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
THROTTLED = "对方限制了发送频率，系统将稍后重发"
UNREADABLE = "机器人的应答无法识别，系统将稍后重试"


def json_body(payload: dict) -> bytes:
    # Chinese text stays as UTF-8 instead of \uXXXX escapes, which would
    # triple its size against the robots' byte limits.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header, in either of its two forms."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


async def post(
    client: httpx.AsyncClient,
    config: NotifierConfig,
    url: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response | DeliveryResult:
    """POST a JSON body; the 2xx response, or the result the failure means."""
    refused = ensure_host_allowed(url, config.allowed_hosts)
    if refused:
        return refused
    try:
        response = await client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=config.timeout_seconds,
            # A redirect could lead off the allowlist.
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        return RetryAfter(None, f"timed out: {type(exc).__name__}", words="对方长时间未应答，系统将稍后重试")
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return PermanentFailure(f"invalid URL: {exc}", INVALID_ADDRESS)
    except httpx.TransportError as exc:
        return RetryAfter(None, f"connection failed: {type(exc).__name__}: {exc}", words=NOT_REACHED)

    status = response.status_code
    if 200 <= status < 300:
        return response
    reason = f"HTTP {status}: {response.text[:200]}"
    if status == 429:
        return RetryAfter(retry_after_seconds(response), reason, throttled=True, words=THROTTLED)
    if status >= 500 or status in RETRYABLE_STATUSES:
        return RetryAfter(retry_after_seconds(response), reason, words=f"接收方暂时出错（状态码 {status}），系统将稍后重试")
    return PermanentFailure(reason, f"接收方拒绝（状态码 {status}）")


def result_for_code(
    code: object, description: str, throttled: Mapping[int, float]
) -> DeliveryResult:
    """Map a robot's business code (errcode/code in a 200 reply).

    throttled maps the robot's rate-limit codes to how long it blocks the
    sender. -1 is "system busy" for the robots that use it. Any other
    non-zero code is a request the robot will keep refusing: invalid key,
    bad signature, keyword or IP rules, malformed or over-size content.
    """
    if code == 0:
        return Sent(description)
    if code in throttled:
        return RetryAfter(throttled[code], f"rate limited: {code} {description}", throttled=True, words=THROTTLED)
    if code == -1:
        return RetryAfter(None, f"robot busy: {code} {description}", words="机器人繁忙，系统将稍后重试")
    return PermanentFailure(
        f"robot refused: {code} {description}", f"机器人拒收（错误码 {code}），请检查密钥、关键词或签名设置"
    )


async def post_to_robot(
    client: httpx.AsyncClient,
    config: NotifierConfig,
    url: str,
    payload: dict,
    read_reply: Callable[[dict], DeliveryResult],
) -> DeliveryResult:
    """POST to a chat robot, whose HTTP 200 only means "read": success is the
    business code in the JSON reply, which read_reply interprets."""
    response = await post(client, config, url, json_body(payload))
    if not isinstance(response, httpx.Response):
        return response
    try:
        reply = response.json()
    except ValueError:
        return RetryAfter(None, f"robot answered HTTP {response.status_code} without JSON", words=UNREADABLE)
    if not isinstance(reply, dict):
        return RetryAfter(None, "robot answered with unexpected JSON", words=UNREADABLE)
    return read_reply(reply)
