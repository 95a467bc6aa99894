"""Email over SMTP: multipart/alternative (plain text + HTML), UTF-8 subject,
security none | starttls | ssl, optional login. smtplib blocks, so it runs
in a worker thread."""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from notifiers.base import ChannelNotifier, DeliveryResult, Message, PermanentFailure, RetryAfter, Sent, Target

SECURITY_MODES = ("none", "starttls", "ssl")

# Characters allowed in the left part of a Message-ID (RFC 5322 atext and dots).
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def message_id(notification_id: str, sender: str) -> str:
    """A Message-ID derived from the notification id, so a re-sent
    notification carries the same one and mail clients can tell."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<duban.{_NOT_ATEXT.sub('-', notification_id)}@{domain}>"


def result_for_smtp_code(code: int, text: bytes | str, what: str) -> DeliveryResult:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reason = f"{what}: {code} {text}"
    if 400 <= code < 500:
        return RetryAfter(None, reason)
    return PermanentFailure(reason)


class EmailNotifier(ChannelNotifier):
    channel_type = "email"
    max_message_bytes = None
    rate_limit_per_minute = None

    @staticmethod
    def mask_target(address: str) -> str:
        # An address is a contact, shown in the department directory too, not a credential.
        return address

    def build_email(self, message: Message, recipient: str) -> EmailMessage:
        email = EmailMessage(policy=SMTP)
        email["Subject"] = message.subject
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
            return PermanentFailure(f"unknown SMTP security {self.config.smtp_security!r}")
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
            return result_for_smtp_code(code, text, f"recipient {recipient} refused")
        except smtplib.SMTPResponseException as exc:
            return result_for_smtp_code(exc.smtp_code, exc.smtp_error, "SMTP server refused")
        except smtplib.SMTPNotSupportedError as exc:
            # STARTTLS or AUTH missing on the server: a configuration mismatch.
            return PermanentFailure(f"SMTP server does not support it: {exc}")
        except ssl.SSLCertVerificationError as exc:
            return PermanentFailure(f"SMTP server certificate rejected: {exc}")
        except (OSError, smtplib.SMTPException) as exc:
            # Refused connections, timeouts, dropped sessions: the server may be back later.
            return RetryAfter(None, f"SMTP connection failed: {type(exc).__name__}: {exc}")
        return Sent(f"accepted by {config.smtp_host}")
