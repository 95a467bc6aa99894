"""The signing key never lives in the database: DUBAN_SECRET_KEY, a key file, or
for SQLite a file generated beside the database; an older deployment's stored
key is moved out without breaking its links."""

import os
import stat
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from service.auth.models import InstanceSecret
from service.auth.secrets import SIGNING_KEY, SecretKeyError, with_signing_key
from service.config import Settings


def _settings(database_url: str, **values) -> Settings:
    return Settings(database_url=database_url, **{"secret_key": None, **values})


def _stored(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(InstanceSecret.value)))


def _store_legacy_key(session_factory, value: str) -> None:
    with session_factory() as session:
        session.add(InstanceSecret(name=SIGNING_KEY, value=value, created_at=datetime.now(timezone.utc)))
        session.commit()


def test_configured_key_wins(session_factory, database_url):
    settings = _settings(database_url, secret_key="from-the-environment")
    assert with_signing_key(settings, session_factory).secret_key == "from-the-environment"


def test_key_file_is_read_and_never_stored(session_factory, database_url, tmp_path):
    path = tmp_path / "duban.key"
    path.write_text("from-a-file\n")
    settings = _settings(database_url, secret_key_file=str(path))
    assert with_signing_key(settings, session_factory).secret_key == "from-a-file"
    assert _stored(session_factory) == []


def test_missing_key_file_is_generated_for_the_owner_only(session_factory, database_url, tmp_path):
    path = tmp_path / "new.key"
    first = with_signing_key(_settings(database_url, secret_key_file=str(path)), session_factory)
    again = with_signing_key(_settings(database_url, secret_key_file=str(path)), session_factory)
    assert len(first.secret_key) >= 40 and first.secret_key == again.secret_key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert _stored(session_factory) == []


def test_sqlite_quick_start_keeps_the_key_beside_the_database(tmp_path):
    from service.bootstrap import service_database

    settings = _settings(f"sqlite:///{tmp_path / 'duban.db'}")
    with service_database(settings) as (session_factory, completed):
        assert completed.secret_key == (tmp_path / "duban.db.key").read_text().strip()
        assert _stored(session_factory) == []
    with service_database(settings) as (_, again):
        assert again.secret_key == completed.secret_key


def test_postgresql_without_a_key_is_refused(session_factory, database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has its file beside the database")
    with pytest.raises(SecretKeyError, match="DUBAN_SECRET_KEY"):
        with_signing_key(_settings(database_url), session_factory)


def test_upgrade_moves_the_stored_key_into_the_key_file(session_factory, database_url, tmp_path):
    """A deployment of an older version: its links were signed with the stored key."""
    _store_legacy_key(session_factory, "legacy-stored-key")
    path = tmp_path / "moved.key"
    settings = _settings(database_url, secret_key_file=str(path))
    assert with_signing_key(settings, session_factory).secret_key == "legacy-stored-key"
    assert path.read_text().strip() == "legacy-stored-key"
    assert _stored(session_factory) == []


def test_postgresql_keeps_reading_the_stored_key_until_it_is_configured(session_factory, database_url, caplog):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite moves it into the file beside the database")
    _store_legacy_key(session_factory, "legacy-stored-key")
    assert with_signing_key(_settings(database_url), session_factory).secret_key == "legacy-stored-key"
    assert "DUBAN_SECRET_KEY" in caplog.text and _stored(session_factory) == ["legacy-stored-key"]
    # The operator sets the same key: from then on it is read from outside only.
    configured = _settings(database_url, secret_key="legacy-stored-key")
    assert with_signing_key(configured, session_factory).secret_key == "legacy-stored-key"
    assert _stored(session_factory) == []


def test_a_different_configured_key_leaves_the_old_one_with_a_warning(session_factory, database_url, caplog):
    _store_legacy_key(session_factory, "legacy-stored-key")
    assert with_signing_key(_settings(database_url, secret_key="new"), session_factory).secret_key == "new"
    assert "older signing key" in caplog.text and _stored(session_factory) == ["legacy-stored-key"]


def test_the_cli_says_what_to_set(session_factory, database_url):
    import subprocess
    import sys

    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has its file beside the database")
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_SECRET_KEY"}
    env["DUBAN_DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", "dispatch", "--once"],
        env=env, capture_output=True, text=True,
    )
    assert done.returncode == 2 and "DUBAN_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
