"""Opening the configured database outside a web request (CLI, scheduler)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from service.auth.secrets import with_signing_key
from service.config import Settings
from service.database import make_engine, make_session_factory, transaction
from service.migrate import upgrade_database


@contextmanager
def service_database(settings: Settings) -> Iterator[tuple[sessionmaker[Session], Settings]]:
    """Upgrade the schema and open the database: its session factory, and the
    settings completed with the deployment's signing key."""
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        session_factory = make_session_factory(engine)
        yield session_factory, with_signing_key(settings, session_factory)
    finally:
        engine.dispose()


@contextmanager
def open_database(settings: Settings) -> Iterator[Session]:
    """Upgrade the schema, then one transaction on the configured database."""
    with service_database(settings) as (session_factory, _), transaction(session_factory) as session:
        yield session
