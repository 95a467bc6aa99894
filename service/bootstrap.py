"""Opening the configured database outside a web request (CLI, scheduler)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from service.config import Settings
from service.database import make_engine, make_session_factory, transaction
from service.migrate import upgrade_database


@contextmanager
def open_database(settings: Settings) -> Iterator[Session]:
    """Upgrade the schema, then one transaction on the configured database."""
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
