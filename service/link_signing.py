"""Signing of milestone links: the primitive under service/reminders/links.py.

A link's payload (which milestone, its versions, expiry, whether it acts) is
decided when a message is composed; its token is signed when the message is
rendered, which for a scan's digests is at send time in the dispatcher. Both
sides use this module, so it sits below both.
"""

import hmac
import json
import zlib
from functools import lru_cache

from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_encode

from service.config import Settings

SALT = "duban.milestone-link"


class _LinkSigner:
    """Makes exactly URLSafeSerializer's tokens, with the signing key derived, the
    HMAC keyed and the JSON encoder built once: a dispatch signs thousands of links.
    `reminders.links.open_link` checks them with itsdangerous itself."""

    def __init__(self, secret_key: str):
        self.serializer = URLSafeSerializer(secret_key, salt=SALT)
        signer = self.serializer.make_signer()
        self._sep = signer.sep
        self._mac = hmac.new(signer.derive_key(), digestmod=signer.algorithm.digest_method)
        # itsdangerous's compact JSON; json.dumps builds an encoder per call when given separators.
        self._json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def _payload(self, obj: dict) -> bytes:
        """URLSafeSerializer.dump_payload: compressed, marked by a leading dot, only when that is shorter."""
        payload = self._json.encode(obj).encode()
        compressed = zlib.compress(payload)
        if len(compressed) < len(payload) - 1:
            return b"." + base64_encode(compressed)
        return base64_encode(payload)

    def dumps(self, obj: dict) -> str:
        payload = self._payload(obj)
        mac = self._mac.copy()
        mac.update(payload)
        return (payload + self._sep + base64_encode(mac.digest())).decode()


@lru_cache(maxsize=8)
def _signer(secret_key: str) -> _LinkSigner:
    return _LinkSigner(secret_key)


def serializer(settings: Settings) -> URLSafeSerializer:
    """itsdangerous's own serializer for these tokens (what opening a link checks with)."""
    return _signer(settings.secret_key).serializer


def token(settings: Settings, payload: dict) -> str:
    return _signer(settings.secret_key).dumps(payload)


def signed_link(settings: Settings, payload: dict) -> str:
    """`{DUBAN_BASE_URL}/m/{token}` for a link's payload."""
    return f"{settings.base_url.rstrip('/')}/m/{token(settings, payload)}"
