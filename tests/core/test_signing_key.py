"""Every deployment signs with its own key, shared by all its replicas."""

from service.auth.secrets import with_signing_key
from service.config import Settings


def test_generated_once_and_shared_by_replicas(session_factory, database_url):
    settings = Settings(database_url=database_url)
    first = with_signing_key(settings, session_factory)
    second = with_signing_key(settings, session_factory)
    assert first.secret_key and len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key
    assert settings.secret_key is None  # the caller's settings are left as they were


def test_configured_key_wins(session_factory, database_url):
    settings = Settings(database_url=database_url, secret_key="from-the-environment")
    assert with_signing_key(settings, session_factory).secret_key == "from-the-environment"


def test_the_app_uses_the_stored_key(app, session_factory):
    assert app.state.settings.secret_key == with_signing_key(Settings(), session_factory).secret_key
