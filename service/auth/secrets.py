"""The deployment's signing key for session CSRF tokens and milestone links.

The key never lives in the database (a database backup would carry it). It
comes from, in this order:

1. DUBAN_SECRET_KEY;
2. the file DUBAN_SECRET_KEY_FILE names (for a key kept in a secrets store
   mounted as a file, e.g. one shared by several replicas);
3. for the embedded SQLite database, a file beside it (`duban.db.key`),
   generated at the first start so the quick start needs no configuration.

Anything else (PostgreSQL without a configured key) is refused at start, since
replicas must sign alike and nobody can guess where to put a generated file.

Upgrade: versions before this one generated the key into the database table
instance_secrets. When that row is found it becomes the contents of a key file
that does not exist yet (so links already sent keep working), and the row is
deleted once the key it holds is in use from outside the database. A
PostgreSQL deployment without a configured key keeps starting on the stored
key, with a warning each start, until the operator moves it out (README).
"""

import logging
import os
import secrets
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.auth.models import InstanceSecret
from service.config import Settings

log = logging.getLogger(__name__)

# The name of the row older versions stored the key under.
SIGNING_KEY = "signing_key"
KEY_FILE_SUFFIX = ".key"


class SecretKeyError(Exception):
    """No usable signing key; the message tells the operator what to set."""


def key_file(settings: Settings) -> Path | None:
    """Where the key is read from when DUBAN_SECRET_KEY is unset, or None."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(database.name + KEY_FILE_SUFFIX)
    return None


def _read_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretKeyError(f"cannot read the secret key file {path}: {exc.strerror}") from None
    if not key:
        raise SecretKeyError(f"the secret key file {path} is empty")
    return key


def _create_key_file(path: Path, key: str) -> bool:
    """Write a new key file readable by its owner only; False if it exists
    already (another process made it first)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise SecretKeyError(f"cannot create the secret key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return True


def _stored_key(session_factory: sessionmaker[Session]) -> str | None:
    with session_factory() as session:
        return session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == SIGNING_KEY))


def _forget_stored_key(session_factory: sessionmaker[Session], key: str) -> None:
    """Delete the database's copy of the key in use. A different stored key is
    left (with a warning): links signed with it may still be in mailboxes, and
    deleting it would be beyond recovery."""
    stored = _stored_key(session_factory)
    if stored is None:
        return
    if stored != key:
        log.warning(
            "the database still holds an older signing key (table instance_secrets) that differs from the "
            "configured one; delete that row once links signed with it no longer matter"
        )
        return
    with session_factory() as session:
        session.execute(delete(InstanceSecret).where(InstanceSecret.name == SIGNING_KEY))
        session.commit()
    log.info("signing key removed from the database: it is read from outside it now")


def _file_key(path: Path, session_factory: sessionmaker[Session]) -> str:
    if not path.exists():
        # The legacy stored key first, so an upgrade keeps every link valid.
        if _create_key_file(path, _stored_key(session_factory) or secrets.token_urlsafe(48)):
            log.info("signing key written to %s", path)
    return _read_key(path)


def signing_key(settings: Settings, session_factory: sessionmaker[Session]) -> str:
    if settings.secret_key:
        key = settings.secret_key
    elif (path := key_file(settings)) is not None:
        key = _file_key(path, session_factory)
    else:
        stored = _stored_key(session_factory)
        if stored is None:
            raise SecretKeyError(
                "no signing key: set DUBAN_SECRET_KEY or DUBAN_SECRET_KEY_FILE "
                "(the same key on every replica)"
            )
        log.warning(
            "the signing key is read from the database (table instance_secrets), so every backup holds it: "
            "set DUBAN_SECRET_KEY or DUBAN_SECRET_KEY_FILE to this key and restart; the row is then deleted"
        )
        return stored
    _forget_stored_key(session_factory, key)
    return key


def with_signing_key(settings: Settings, session_factory: sessionmaker[Session]) -> Settings:
    """The settings with `secret_key` filled in when it came from a file (or,
    for a deployment not moved yet, from the database)."""
    key = signing_key(settings, session_factory)
    return settings if key == settings.secret_key else settings.model_copy(update={"secret_key": key})
