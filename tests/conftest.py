"""Database fixtures: every database test runs on SQLite and, when
DUBAN_TEST_POSTGRES_URL is set, on PostgreSQL too.

The schema is built by the real migrations once per backend and session; each
test starts from empty tables.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.database import make_engine, make_session_factory
from service.migrate import upgrade_database
from service.models import Base

pytest_plugins = ["tests.support.fixtures"]

POSTGRES_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL")
# As an operator of a PostgreSQL deployment must (service/auth/secrets.py); the
# tests of where the key comes from pass secret_key=None.
os.environ.setdefault("DUBAN_SECRET_KEY", "test-deployment-key")
BACKENDS = ["sqlite", "postgresql"]


def _create_postgres_database() -> tuple[str, str]:
    admin_url = make_url(POSTGRES_URL)
    name = f"duban_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'duban.db'}"
        upgrade_database(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("DUBAN_TEST_POSTGRES_URL is not set")
    url, name = _create_postgres_database()
    try:
        upgrade_database(url)
        yield url
    finally:
        _drop_postgres_database(name)


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    _empty_all_tables(engine)
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory, engine) -> Iterator[Session]:
    # Deferred on SQLite: a test that keeps this session open while it calls the
    # app must not hold the write lock the app's requests wait for.
    with session_factory(bind=engine.execution_options(sqlite_begin="DEFERRED")) as session:
        yield session


@pytest.fixture
def app(session_factory, database_url):
    """The application on the test database, its clock fixed at tests.factories.NOW."""
    from service.app import create_app
    from service.clock import FixedClock
    from service.config import Settings
    from tests.factories import NOW

    return create_app(
        Settings(database_url=database_url, webhook_allowed_hosts=["127.0.0.1", "localhost"]),
        clock=FixedClock(NOW),
    )


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture
def world(session_factory):
    from tests.factories import build_world

    with session_factory() as session:
        return build_world(session)
