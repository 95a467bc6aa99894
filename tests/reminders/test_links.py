"""Milestone link tokens: the scan's fast signer makes exactly itsdangerous's tokens."""

from datetime import datetime, timedelta, timezone

from itsdangerous import URLSafeSerializer

from service.config import Settings
from service.reminders.links import SALT, make_token


def test_tokens_are_those_of_itsdangerous_and_verify_with_it():
    settings = Settings(secret_key="link-test-key")
    reference = URLSafeSerializer("link-test-key", salt=SALT)
    expires = datetime(2026, 11, 2, tzinfo=timezone.utc)
    # 10**60: a payload that compresses, which itsdangerous marks with a leading dot.
    for milestone_id in (1, 7, 123_456, 10**12, 10**60):
        for version, milestone_version in ((1, 1), (3, 2), (11, 111)):
            for acts in (False, True):
                at = expires + timedelta(days=milestone_id % 97)
                token = make_token(settings, milestone_id, version, at, milestone_version, acts=acts)
                payload = {"m": milestone_id, "v": version, "mv": milestone_version, "e": int(at.timestamp())}
                payload |= {"act": 1} if acts else {}
                assert token == reference.dumps(payload)
                assert reference.loads(token) == payload
    assert reference.dumps({"m": 10**60, "v": 1, "mv": 1, "e": 0}).startswith(".")
    # Another key signs differently: the cached signer is per key.
    other = make_token(Settings(secret_key="another-key"), 1, 1, expires)
    assert other != make_token(settings, 1, 1, expires)
    assert URLSafeSerializer("another-key", salt=SALT).loads(other)["m"] == 1
