"""A real local SMTP server (aiosmtpd) for email tests.

    receiver = SmtpReceiver(security="starttls", certificate=cert).start()
    config = NotifierConfig(smtp_host=receiver.host, smtp_port=receiver.port,
                            smtp_security="starttls", smtp_ca_file=cert.cert_file,
                            smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD)
    receiver.reject("nobody@example.gov.cn", 550, "5.1.1 mailbox unavailable")
    ...send...
    receiver.messages[0].email["Subject"]

security is "none" (plain), "starttls" (STARTTLS required) or "ssl"
(implicit TLS). AUTH LOGIN and PLAIN accept SMTP_USER / SMTP_PASSWORD;
with require_auth (the default) mail is refused until the client logs in.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "duban"
SMTP_PASSWORD = "correct horse battery staple"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Certificate:
    cert_file: str
    key_file: str


def make_self_signed_certificate(directory: Path) -> Certificate:
    """A certificate for 127.0.0.1 and localhost, valid for one day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "duban test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(str(cert_file), str(key_file))


def free_port() -> int:
    # aiosmtpd's controller must know its port before it binds, so the OS
    # picks one here.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    email: EmailMessage  # parsed with the modern policy: headers decoded
    raw: bytes  # as received, for what the parsed form hides (encoded-words)


class _Handler:
    def __init__(self, receiver: "SmtpReceiver") -> None:
        self.receiver = receiver

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        # Enforced here rather than with aiosmtpd's auth_required, which
        # warns whenever TLS is not STARTTLS (plain and implicit-TLS modes).
        if self.receiver.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        rejection = self.receiver.rejection_for(address)
        if rejection:
            return rejection
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        email = message_from_bytes(raw, policy=default_policy)
        self.receiver.record(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), email, raw))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    valid = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    # handled=False: aiosmtpd answers the failure itself (535).
    return AuthResult(success=valid, handled=False)


class SmtpReceiver:
    def __init__(
        self,
        security: str = "none",
        certificate: Certificate | None = None,
        require_auth: bool = True,
    ) -> None:
        if security != "none" and certificate is None:
            raise ValueError(f"security {security!r} needs a certificate")
        self.security = security
        self.require_auth = require_auth
        self.host = HOST
        self.port = free_port()
        self._lock = threading.Lock()
        self._rejections: dict[str, str] = {}
        self.messages: list[ReceivedEmail] = []

        tls = None
        if certificate:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(certificate.cert_file, certificate.key_file)
        options: dict = {
            "authenticator": _authenticate,
            # aiosmtpd only knows about STARTTLS; an implicit-TLS session (and
            # the plain mode) must be allowed to log in as well.
            "auth_require_tls": security == "starttls",
        }
        if security == "starttls":
            options |= {"tls_context": tls, "require_starttls": True}
        elif security == "ssl":
            options["ssl_context"] = tls
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **options)

    def start(self) -> "SmtpReceiver":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpReceiver":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reject(self, address: str, code: int, text: str) -> None:
        """Answer RCPT TO for this address with the given code (4xx or 5xx)."""
        with self._lock:
            self._rejections[address.lower()] = f"{code} {text}"

    def rejection_for(self, address: str) -> str | None:
        with self._lock:
            return self._rejections.get(address.lower())

    def record(self, received: ReceivedEmail) -> None:
        with self._lock:
            self.messages.append(received)
