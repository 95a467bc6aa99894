"""The deployment's signing key for session CSRF tokens, milestone links and
calendar feeds.

DUBAN_SECRET_KEY wins when set. Otherwise the first process to start generates
a random key and stores it in the database, so every replica of one deployment
signs alike and an install never runs on a key published in the source code.
"""

import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.auth.models import InstanceSecret
from service.config import Settings

SIGNING_KEY = "signing_key"


def _stored_key(session_factory: sessionmaker[Session]) -> str:
    with session_factory() as session:
        stored = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == SIGNING_KEY))
        if stored is not None:
            return stored
        session.add(
            InstanceSecret(
                name=SIGNING_KEY, value=secrets.token_urlsafe(48), created_at=datetime.now(timezone.utc)
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another replica stored its key first; use that one
    with session_factory() as session:
        return session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == SIGNING_KEY))


def with_signing_key(settings: Settings, session_factory: sessionmaker[Session]) -> Settings:
    """The settings with `secret_key` filled in from the database when not configured."""
    if settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": _stored_key(session_factory)})
