"""A real local HTTP server that stands in for the WeCom, DingTalk and Feishu
robots and for a generic Standard Webhooks endpoint, on the real paths:

    POST /cgi-bin/webhook/send?key=KEY                       WeCom
    POST /robot/send?access_token=KEY[&timestamp=..&sign=..] DingTalk
    POST /open-apis/bot/v2/hook/KEY                          Feishu
    POST /webhook/KEY                                        generic webhook

It checks payloads against each platform's published rules and answers
with the platform's own error codes, so notifiers are tested against the
replies they will meet in production.

    receiver = RobotReceiver().start()          # or the robot_receiver fixture
    config = NotifierConfig(wecom_base_url=receiver.base_url, ...)
    receiver.configure("key-1", secret="SEC...", rate_limit_per_minute=20)
    ...send...
    [accepted] = receiver.received(kind="wecom", key="key-1")
    accepted.payload["markdown"]["content"]

Every key is valid and unsigned until configured otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


WECOM_MARKDOWN_MAX_BYTES = 4096
WECOM_TEXT_MAX_BYTES = 2048
DINGTALK_BODY_MAX_BYTES = 20000
FEISHU_BODY_MAX_BYTES = 20 * 1024
SIGNATURE_MAX_AGE_SECONDS = 3600  # DingTalk and Feishu
WEBHOOK_TOLERANCE_SECONDS = 300  # Standard Webhooks


@dataclass
class KeyBehaviour:
    """How the receiver treats requests for one key."""

    secret: str | None = None  # signatures are required when set
    invalid: bool = False  # the key/token does not exist
    rate_limit_per_minute: int | None = None
    fail_next: int = 0  # answer the next N requests with HTTP 500
    reset_next: int = 0  # drop the next N connections without answering
    delay_seconds: float = 0.0  # wait before answering (to provoke timeouts)


@dataclass(frozen=True)
class ReceivedMessage:
    kind: str
    key: str
    payload: dict
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Request:
    key: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    payload: dict


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def _size(text: object) -> int:
    return len(str(text).encode("utf-8"))


def _all_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# --- WeCom group robot -----------------------------------------------------


def check_wecom(request: Request) -> Reply | None:
    msgtype = request.payload.get("msgtype")
    if msgtype not in ("markdown", "text"):
        return Reply(200, {"errcode": 40008, "errmsg": "invalid message type"})
    limit = WECOM_MARKDOWN_MAX_BYTES if msgtype == "markdown" else WECOM_TEXT_MAX_BYTES
    section = request.payload.get(msgtype)
    content = section.get("content") if isinstance(section, dict) else None
    if not isinstance(content, str) or not content:
        return Reply(200, {"errcode": 44004, "errmsg": "empty content"})
    if _size(content) > limit:
        return Reply(200, {
            "errcode": 40058,
            "errmsg": f"{msgtype}.content exceed max length {limit}. invalid Request Parameter",
        })
    if not _all_strings(section.get("mentioned_mobile_list", [])):
        return Reply(200, {"errcode": 40058, "errmsg": "invalid mentioned_mobile_list"})
    return None


# --- DingTalk custom robot -------------------------------------------------


def check_dingtalk_signature(request: Request, secret: str) -> Reply | None:
    timestamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
    if not timestamp or not sign:
        return Reply(200, {"errcode": 310000, "errmsg": "sign not match"})
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS * 1000:
        return Reply(200, {"errcode": 310000, "errmsg": "invalid timestamp"})
    expected = _hmac_b64(secret.encode(), f"{timestamp}\n{secret}".encode())
    if not hmac.compare_digest(expected, sign):
        return Reply(200, {"errcode": 310000, "errmsg": "sign not match"})
    return None


def check_dingtalk(request: Request) -> Reply | None:
    if len(request.body) > DINGTALK_BODY_MAX_BYTES:
        return Reply(200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"})
    msgtype = request.payload.get("msgtype")
    required = {"markdown": ("title", "text"), "text": ("content",)}.get(msgtype)
    if required is None:
        return Reply(200, {"errcode": 40035, "errmsg": "invalid msgtype"})
    section = request.payload.get(msgtype)
    if not isinstance(section, dict) or not all(section.get(name) for name in required):
        return Reply(200, {"errcode": 40035, "errmsg": "missing parameter"})
    if not _all_strings(request.payload.get("at", {}).get("atMobiles", [])):
        return Reply(200, {"errcode": 40035, "errmsg": "invalid atMobiles"})
    return None


# --- Feishu custom bot -----------------------------------------------------


def check_feishu_signature(request: Request, secret: str) -> Reply | None:
    failed = Reply(200, {
        "code": 19021,
        "data": {},
        "msg": "sign match fail or timestamp is not within one hour from current time",
    })
    timestamp, sign = str(request.payload.get("timestamp", "")), request.payload.get("sign")
    if not timestamp.isdigit() or not isinstance(sign, str):
        return failed
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        return failed
    # The signing string is the HMAC key; the message is empty.
    expected = _hmac_b64(f"{timestamp}\n{secret}".encode(), b"")
    return None if hmac.compare_digest(expected, sign) else failed


def check_feishu(request: Request) -> Reply | None:
    if len(request.body) > FEISHU_BODY_MAX_BYTES:
        return Reply(200, {"code": 9499, "data": {}, "msg": "Bad Request: request body exceeds 20KB"})
    payload = request.payload
    msg_type = payload.get("msg_type")
    if msg_type == "interactive":
        card = payload.get("card")
        valid = isinstance(card, dict) and isinstance(card.get("elements"), list) and bool(card["elements"])
    elif msg_type in ("text", "post"):
        content = payload.get("content")
        valid = isinstance(content, dict) and bool(content.get(msg_type))
    else:
        valid = False
    if not valid:
        return Reply(200, {"code": 9499, "data": {}, "msg": "Bad Request: fail to parse content"})
    return None


# --- generic Standard Webhooks endpoint ------------------------------------


def check_webhook_signature(request: Request, secret: str) -> Reply | None:
    webhook_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    signatures = request.headers.get("webhook-signature", "").split()
    if not webhook_id or not timestamp or not signatures:
        return Reply(401, {"error": "missing Standard Webhooks headers"})
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
        return Reply(401, {"error": "timestamp outside tolerance"})
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = _hmac_b64(key, f"{webhook_id}.{timestamp}.".encode() + request.body)
    for candidate in signatures:
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return Reply(401, {"error": "no matching signature"})


def check_webhook(request: Request) -> Reply | None:
    if request.payload.get("id") != request.headers.get("webhook-id"):
        return Reply(400, {"error": "payload id does not match webhook-id"})
    return None


def no_signature(request: Request, secret: str) -> Reply | None:
    return None  # WeCom group robots are not signed


@dataclass(frozen=True)
class Platform:
    invalid_key: Reply
    throttled: Reply
    accepted: Reply
    check_signature: Callable[[Request, str], Reply | None]
    check_payload: Callable[[Request], Reply | None]


PLATFORMS = {
    "wecom": Platform(
        invalid_key=Reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
        throttled=Reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        accepted=Reply(200, {"errcode": 0, "errmsg": "ok"}),
        check_signature=no_signature,
        check_payload=check_wecom,
    ),
    "dingtalk": Platform(
        invalid_key=Reply(200, {"errcode": 300001, "errmsg": "token is not exist"}),
        throttled=Reply(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
        accepted=Reply(200, {"errcode": 0, "errmsg": "ok"}),
        check_signature=check_dingtalk_signature,
        check_payload=check_dingtalk,
    ),
    "feishu": Platform(
        invalid_key=Reply(200, {
            "code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid",
        }),
        throttled=Reply(200, {"code": 11232, "data": {}, "msg": "frequency limited"}),
        accepted=Reply(200, {"code": 0, "data": {}, "msg": "success"}),
        check_signature=check_feishu_signature,
        check_payload=check_feishu,
    ),
    "webhook": Platform(
        invalid_key=Reply(404, {"error": "no such endpoint"}),
        throttled=Reply(429, {"error": "too many requests"}, {"Retry-After": "30"}),
        accepted=Reply(204),
        check_signature=check_webhook_signature,
        check_payload=check_webhook,
    ),
}


def route(path: str) -> tuple[str, str] | None:
    """(kind, key) for a request path, None for an unknown path."""
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.path == "/cgi-bin/webhook/send":
        return "wecom", query.get("key", "")
    if parts.path == "/robot/send":
        return "dingtalk", query.get("access_token", "")
    for prefix, kind in (("/open-apis/bot/v2/hook/", "feishu"), ("/webhook/", "webhook")):
        if parts.path.startswith(prefix):
            return kind, unquote(parts.path[len(prefix):])
    return None


class RobotReceiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        self._generation = 0
        self.reset()

    # --- lifecycle
    def start(self) -> "RobotReceiver":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "RobotReceiver":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def webhook_url(self, key: str) -> str:
        return f"{self.base_url}/webhook/{key}"

    # --- test controls
    def configure(self, key: str, **behaviour: object) -> None:
        """Replace the behaviour of one key; fields as in KeyBehaviour."""
        with self._lock:
            self._behaviours[key] = KeyBehaviour(**behaviour)  # type: ignore[arg-type]

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._behaviours: dict[str, KeyBehaviour] = {}
            self._accepted: list[ReceivedMessage] = []
            self._attempts: list[tuple[str, str]] = []
            self._sent_at: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def received(self, kind: str | None = None, key: str | None = None) -> list[ReceivedMessage]:
        """Accepted messages, oldest first."""
        with self._lock:
            return [m for m in self._accepted if kind in (None, m.kind) and key in (None, m.key)]

    def attempts(self, kind: str | None = None, key: str | None = None) -> int:
        """Requests that reached the receiver, accepted or not."""
        with self._lock:
            return sum(
                1 for seen_kind, seen_key in self._attempts if kind in (None, seen_kind) and key in (None, seen_key)
            )

    # --- request handling (called from server threads)
    def _arrive(self, kind: str, key: str) -> tuple[str | None, float, int]:
        """Count a request as it arrives; return the one-off fault to inject
        ("reset", "fail" or None), the delay, and the current generation."""
        with self._lock:
            self._attempts.append((kind, key))
            behaviour = self._behaviours.get(key, KeyBehaviour())
            fault = None
            if behaviour.reset_next:
                behaviour.reset_next -= 1
                fault = "reset"
            elif behaviour.fail_next:
                behaviour.fail_next -= 1
                fault = "fail"
            return fault, behaviour.delay_seconds, self._generation

    def _answer(self, kind: str, key: str, query: dict, headers: dict, body: bytes, generation: int) -> Reply:
        platform = PLATFORMS[kind]
        with self._lock:
            behaviour = self._behaviours.get(key, KeyBehaviour())
        if behaviour.invalid or not key:
            return platform.invalid_key
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            return Reply(400, {"error": "invalid JSON body"})
        request = Request(key, query, headers, body, payload)
        if behaviour.secret:
            refused = platform.check_signature(request, behaviour.secret)
            if refused:
                return refused
        with self._lock:
            window = self._sent_at[(kind, key)]
            now = time.monotonic()
            while window and now - window[0] >= 60:
                window.popleft()
            limit = behaviour.rate_limit_per_minute
            if limit is not None and len(window) >= limit:
                return platform.throttled
        refused = platform.check_payload(request)
        if refused:
            return refused
        with self._lock:
            # A request delayed past reset() belongs to an earlier test.
            if generation == self._generation:
                self._sent_at[(kind, key)].append(time.monotonic())
                self._accepted.append(ReceivedMessage(kind, key, payload, headers, body))
        return platform.accepted


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 resets connections when a dispatcher opens
    # dozens at once; a real robot endpoint does not.
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        receiver: RobotReceiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        routed = route(self.path)
        if routed is None:
            self._send(Reply(404, {"error": "unknown path"}))
            return
        kind, key = routed
        fault, delay, generation = receiver._arrive(kind, key)
        if fault == "reset":
            # SO_LINGER 0 turns close() into a TCP reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if delay:
            time.sleep(delay)
        if fault == "fail":
            self._send(Reply(500, {"error": "internal server error"}))
            return
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._send(receiver._answer(kind, key, query, headers, body, generation))

    def _send(self, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body, ensure_ascii=False).encode()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout test); nothing to answer

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass  # connection already reset on purpose

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output readable
