"""The notifier interface: what goes in (Message, Target), what comes out
(Sent, RetryAfter, PermanentFailure) and the helpers every channel shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from notifiers import NotifierConfig


@dataclass(frozen=True)
class Message:
    """One already-rendered notification; notifiers never render text."""

    id: str  # the notification id: webhook-id, Message-ID, idempotency
    subject: str
    text: str
    markdown: str | None
    html: str | None
    event: dict  # JSON event for generic webhooks
    mentions: tuple[str, ...] = ()  # mobiles to @


@dataclass(frozen=True)
class Target:
    channel_type: str  # "email" | "webhook" | "wecom" | "dingtalk" | "feishu"
    address: str  # email address, webhook URL, robot key or access token
    secret: str | None = None
    mentions: tuple[str, ...] = ()


# Each result carries two accounts of what happened: `detail`/`reason`, the other side's
# answer in technical English for operators and logs, and `words`, what the office reads on
# its pages: a Chinese sentence set by the notifier that knows what the answer means.


@dataclass(frozen=True)
class Sent:
    detail: str = ""
    words: str = "已送达"


@dataclass(frozen=True)
class RetryAfter:
    seconds: float | None  # None: the caller picks its own backoff
    reason: str
    # The receiver is healthy but asks us to slow down (a rate-limit answer):
    # no fault of the message, so it does not use up its failed attempts.
    throttled: bool = False
    words: str = "暂未送达，系统将稍后重试"


@dataclass(frozen=True)
class PermanentFailure:
    reason: str
    words: str = "无法送达"


DeliveryResult = Sent | RetryAfter | PermanentFailure


@dataclass(frozen=True)
class Setting:
    """A setting a channel declares: the attribute `name` of NotifierConfig, which the
    service reads from the environment variable DUBAN_<`env` or `name`, upper case>."""

    name: str
    type: object  # str, int, float, str | None or tuple[str, ...] (comma-separated)
    default: object
    env: str | None = None
    choices: tuple[str, ...] = ()
    positive: bool = False

    @property
    def env_name(self) -> str:
        return self.env or self.name


# The one setting every channel shares.
TIMEOUT = Setting("timeout_seconds", float, 10.0, env="notifier_timeout_seconds", positive=True)


INVALID_ADDRESS = "地址无效，请检查渠道地址"
NOT_REACHED = "无法连接到接收方，系统将稍后重试"


class InvalidTarget(ValueError):
    """A target a channel cannot send to; the message says why, in Chinese, for the user,
    and `field` which input is at fault ("target" or "secret")."""

    def __init__(self, message: str, field: str = "target"):
        super().__init__(message)
        self.field = field


class Notifier(Protocol):
    """A channel: its type, what people call it, what it can carry, and how to send."""

    channel_type: ClassVar[str]
    label: ClassVar[str]  # the channel's Chinese name on pages and in messages
    # Whether Target.mentions (mobiles) reach people: a channel that cannot @
    # gets no message that exists only to @ someone (a department head).
    supports_mentions: ClassVar[bool]
    rate_limit_per_minute: ClassVar[int | None]
    # The message bodies send() reads ("text", "markdown", "html"): a digest rendered at
    # send time is rendered in these only.
    formats: ClassVar[tuple[str, ...]]
    # What the channel needs configured; NotifierConfig and the service's Settings have
    # an attribute for each.
    settings: ClassVar[tuple[Setting, ...]]

    @classmethod
    def hosts(cls, config: NotifierConfig) -> tuple[str, ...]:
        """The HTTP hosts the channel may call (ensure_host_allowed)."""
        ...

    @classmethod
    def body(cls, text: str, markdown: str | None, mentions: tuple[str, ...]) -> Body:
        """The size-limited part of the request this channel makes for these bodies
        and mentions: what the caller sizes a message by, and what send() sends."""
        ...

    @staticmethod
    def mask_target(address: str) -> str:
        """What may be shown of a target to anyone who need not edit it."""
        ...

    @classmethod
    def check_target(cls, address: str, secret: str | None, config: NotifierConfig) -> str:
        """The stripped address if the channel can send to it; InvalidTarget otherwise."""
        ...

    async def send(self, message: Message, target: Target) -> DeliveryResult: ...


@dataclass(frozen=True)
class Body:
    """What a channel puts into the field its platform limits, in which format."""

    format: str  # "text" | "markdown"
    content: str
    max_bytes: int | None  # None: the channel takes any size

    @property
    def fits(self) -> bool:
        return self.max_bytes is None or utf8_size(self.content) <= self.max_bytes

    def refusal(self, what: str) -> PermanentFailure | None:
        """Over-size content is refused, never truncated: a cut reminder could
        drop the very milestone it is about. Callers size parts by `fits`."""
        if self.fits:
            return None
        return PermanentFailure(f"{what} is {utf8_size(self.content)} bytes, over the {self.max_bytes}-byte limit", "消息超出该渠道的长度限制")


class ChannelNotifier:
    """The constructor every notifier shares, so a dispatcher can build them
    all the same way and reuse one HTTP connection pool."""

    settings: ClassVar[tuple[Setting, ...]] = ()
    # Robots send their markdown, or their text (with @ mentions, or without markdown).
    formats: ClassVar[tuple[str, ...]] = ("text", "markdown")

    @classmethod
    def hosts(cls, config: NotifierConfig) -> tuple[str, ...]:
        return ()

    def __init__(self, config: NotifierConfig, http_client: httpx.AsyncClient) -> None:
        self.config = config
        self.http_client = http_client

    @classmethod
    def body(cls, text: str, markdown: str | None, mentions: tuple[str, ...]) -> Body:
        # Email and webhooks carry the whole text, whatever its size.
        return Body("text", text, None)


ROBOT_KEY = re.compile(r"^[A-Za-z0-9_.~-]+$")


class RobotNotifier(ChannelNotifier):
    """A group robot addressed by its key or access token (WeCom, DingTalk, Feishu), at its
    vendor's base URL (a setting, so tests can point it at tests/support/robot_receiver.py)."""

    label: ClassVar[str]
    base_url_setting: ClassVar[Setting]  # also in the robot's `settings`

    @classmethod
    def base_url(cls, config: NotifierConfig) -> str:
        return getattr(config, cls.base_url_setting.name).rstrip("/")

    @classmethod
    def hosts(cls, config: NotifierConfig) -> tuple[str, ...]:
        return (urlsplit(cls.base_url(config)).hostname or "",)

    @staticmethod
    def mask_target(address: str) -> str:
        return mask_robot_key(address)

    @classmethod
    def check_target(cls, address: str, secret: str | None, config: NotifierConfig) -> str:
        if not address:
            raise InvalidTarget(f"{cls.label}的 key / access_token 不能为空")
        if not ROBOT_KEY.match(address):
            raise InvalidTarget(
                f"{cls.label}的 key / access_token 只能包含字母、数字和 -_.~，请只填写 key 本身，不要填写完整网址"
            )
        return address


def mask_robot_key(key: str) -> str:
    """A robot key or access token is the credential itself: only its last
    characters, enough to tell two robots apart, and only when it is long."""
    return f"key …{key[-4:]}" if len(key) > 8 else "key ……"


def mask_url(url: str) -> str:
    """A webhook URL's path, query and user info usually carry its secret
    token: only the scheme and host (and port) are shown."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    hidden = parts.path.strip("/") or parts.query or parts.fragment or "@" in parts.netloc
    return f"{origin}/…" if hidden else origin


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def ensure_host_allowed(url: str, allowed_hosts: frozenset[str] | set[str]) -> PermanentFailure | None:
    """Refuse URLs whose host is not allowlisted, before any request is made:
    webhook URLs are typed in by users, and an open sender would let them
    probe the internal network (SSRF)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return PermanentFailure(f"unsupported URL scheme {parts.scheme!r}", INVALID_ADDRESS)
    host = (parts.hostname or "").lower()
    if host not in {h.lower() for h in allowed_hosts}:
        return PermanentFailure(
            f"host {host!r} is not on the allowed hosts list", "该地址的主机未获准发送，请联系系统运维人员放行"
        )
    return None


def mentions_for(message: Message, target: Target) -> tuple[str, ...]:
    """Mobiles to @: the message's people, then the channel's standing ones."""
    return tuple(dict.fromkeys((*message.mentions, *target.mentions)))
