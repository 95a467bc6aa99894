"""Milestone link tokens: the scan's fast signer makes exactly itsdangerous's tokens."""

from datetime import datetime, timedelta, timezone

from itsdangerous import URLSafeSerializer

from service.config import Settings
from service.link_signing import SALT, token


def test_tokens_are_those_of_itsdangerous_and_verify_with_it():
    settings = Settings(secret_key="link-test-key")
    reference = URLSafeSerializer("link-test-key", salt=SALT)
    expires = datetime(2026, 11, 2, tzinfo=timezone.utc)
    # 10**60: a payload that compresses, which itsdangerous marks with a leading dot.
    for milestone_id in (1, 7, 123_456, 10**12, 10**60):
        for version, milestone_version in ((1, 1), (3, 2), (11, 111)):
            for acts in (False, True):
                at = expires + timedelta(days=milestone_id % 97)
                payload = {"m": milestone_id, "v": version, "mv": milestone_version, "e": int(at.timestamp())}
                payload |= {"act": 1} if acts else {}
                signed = token(settings, payload)
                assert signed == reference.dumps(payload)
                assert reference.loads(signed) == payload
    assert reference.dumps({"m": 10**60, "v": 1, "mv": 1, "e": 0}).startswith(".")
    # Another key signs differently: the cached signer is per key.
    payload = {"m": 1, "v": 1, "mv": 1, "e": int(expires.timestamp())}
    other = token(Settings(secret_key="another-key"), payload)
    assert other != token(settings, payload)
    assert URLSafeSerializer("another-key", salt=SALT).loads(other)["m"] == 1
