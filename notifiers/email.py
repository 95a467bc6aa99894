"""Email over SMTP: multipart/alternative (plain text + HTML), UTF-8 subject,
security none | starttls | ssl, optional login. smtplib blocks, so it runs
in a worker thread.

A subject that is not ASCII goes out as RFC 2047 encoded-words of at most 75
characters (§2), one per folded line: Python's own folding writes words of 76,
which strict receivers reject."""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from typing import TYPE_CHECKING

from notifiers.base import (
    NOT_REACHED,
    ChannelNotifier,
    DeliveryResult,
    InvalidTarget,
    Message,
    PermanentFailure,
    RetryAfter,
    Sent,
    Setting,
    Target,
)

if TYPE_CHECKING:
    from notifiers import NotifierConfig

SECURITY_MODES = ("none", "starttls", "ssl")
SMTP_MISCONFIGURED = "邮件服务器设置有误，请联系系统运维人员"
# One address, nothing else: a display name ("Evil" <spy@evil.test>) or a second
# address after a comma or semicolon would add a recipient the office never saw.
# The classes exclude the separators they sit between, so matching is linear.
EMAIL_ADDRESS = re.compile(r'^[^@\s<>,;:"()\[\]\\]+@[^@\s<>,;:"()\[\]\\.]+(?:\.[^@\s<>,;:"()\[\]\\.]+)+$')
MAX_EMAIL_LENGTH = 254
ENCODED_WORD_MAX = 75  # RFC 2047 §2
_WORD_START, _WORD_END = "=?utf-8?b?", "?="

# Characters allowed in the left part of a Message-ID (RFC 5322 atext and dots).
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def message_id(notification_id: str, sender: str) -> str:
    """A Message-ID derived from the notification id, so a re-sent
    notification carries the same one and mail clients can tell."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<duban.{_NOT_ATEXT.sub('-', notification_id)}@{domain}>"


def check_address(address: str) -> str:
    """One e-mail address, stripped; InvalidTarget for anything else."""
    address = address.strip()
    if len(address) > MAX_EMAIL_LENGTH or not EMAIL_ADDRESS.match(address):
        raise InvalidTarget(f"邮箱地址格式不正确：{address}（只填一个地址，不带姓名、逗号或分号）")
    return address


def encoded_words(text: str, first_line_room: int) -> str:
    """`text` as Base64 encoded-words of at most ENCODED_WORD_MAX characters, split
    between characters and folded one to a line; the first line also holds the
    header name, so its word is shorter to keep every line within 76 characters."""
    words, chunk = [], b""
    room = first_line_room
    for char in text:
        encoded = char.encode("utf-8")
        if chunk and len(chunk) + len(encoded) > _payload_bytes(room):
            words.append(_WORD_START + base64.b64encode(chunk).decode("ascii") + _WORD_END)
            chunk, room = b"", ENCODED_WORD_MAX
        chunk += encoded
    words.append(_WORD_START + base64.b64encode(chunk).decode("ascii") + _WORD_END)
    return "\r\n ".join(words)


def _payload_bytes(word_length: int) -> int:
    """How many bytes fit in an encoded-word of `word_length` characters."""
    return (word_length - len(_WORD_START) - len(_WORD_END)) // 4 * 3


def result_for_smtp_code(code: int, text: bytes | str, what: str, words: str) -> DeliveryResult:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reason = f"{what}: {code} {text}"
    if 400 <= code < 500:
        return RetryAfter(None, reason, words=f"{words}（代码 {code}），系统将稍后重试")
    return PermanentFailure(reason, f"{words}（代码 {code}）")


class EmailNotifier(ChannelNotifier):
    channel_type = "email"
    label = "邮件"
    supports_mentions = False
    formats = ("text", "html")
    rate_limit_per_minute = None
    settings = (
        Setting("smtp_host", str, "localhost"),
        Setting("smtp_port", int, 25),
        Setting("smtp_security", str, "none", choices=SECURITY_MODES),
        Setting("smtp_user", str | None, None),
        Setting("smtp_password", str | None, None),
        Setting("smtp_from", str, "duban@localhost"),
        # CA bundle to verify the SMTP server's certificate against; None uses the
        # system store. Lets a private mail relay (or a test server) keep TLS
        # verification on instead of switching it off.
        Setting("smtp_ca_file", str | None, None),
    )

    @staticmethod
    def mask_target(address: str) -> str:
        # An address is a contact, shown in the department directory too, not a credential.
        return address

    @classmethod
    def check_target(cls, address: str, secret: str | None, config: NotifierConfig) -> str:
        return check_address(address)

    def build_email(self, message: Message, recipient: str) -> EmailMessage:
        email = EmailMessage(policy=SMTP)
        if message.subject.isascii():
            email["Subject"] = message.subject
        else:
            # Stored as written: assigned, the header would be refolded into 76-character words.
            email.set_raw("Subject", encoded_words(message.subject, 76 - len("Subject: ")))
        email["From"] = self.config.smtp_from
        email["To"] = recipient
        email["Date"] = formatdate(localtime=True)
        email["Message-ID"] = message_id(message.id, self.config.smtp_from)
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        if self.config.smtp_security not in SECURITY_MODES:
            return PermanentFailure(f"unknown SMTP security {self.config.smtp_security!r}", SMTP_MISCONFIGURED)
        email = self.build_email(message, target.address)
        return await asyncio.to_thread(self._deliver, email, target.address)

    def _deliver(self, email: EmailMessage, recipient: str) -> DeliveryResult:
        config = self.config
        tls = ssl.create_default_context(cafile=config.smtp_ca_file)
        try:
            if config.smtp_security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    config.smtp_host, config.smtp_port, timeout=config.timeout_seconds, context=tls
                )
            else:
                smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds)
            with smtp:
                if config.smtp_security == "starttls":
                    smtp.starttls(context=tls)
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password or "")
                smtp.send_message(email, from_addr=parseaddr(config.smtp_from)[1], to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients[recipient]
            return result_for_smtp_code(code, text, f"recipient {recipient} refused", "邮件服务器拒收该收件地址")
        except smtplib.SMTPResponseException as exc:
            return result_for_smtp_code(exc.smtp_code, exc.smtp_error, "SMTP server refused", "邮件服务器拒绝发送")
        except smtplib.SMTPNotSupportedError as exc:
            # STARTTLS or AUTH missing on the server: a configuration mismatch.
            return PermanentFailure(f"SMTP server does not support it: {exc}", SMTP_MISCONFIGURED)
        except ssl.SSLCertVerificationError as exc:
            return PermanentFailure(f"SMTP server certificate rejected: {exc}", "邮件服务器证书无法验证")
        except (OSError, smtplib.SMTPException) as exc:
            # Refused connections, timeouts, dropped sessions: the server may be back later.
            return RetryAfter(None, f"SMTP connection failed: {type(exc).__name__}: {exc}", words=NOT_REACHED)
        return Sent(f"accepted by {config.smtp_host}", f"已送达（邮件服务器 {config.smtp_host} 已接收）")
