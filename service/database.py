"""Engine, sessions and the declarative base.

Times are stored as naive UTC in the database and handed out as aware UTC
datetimes, so SQLite and PostgreSQL behave alike.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import TypeVar
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Engine, MetaData, create_engine, event, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from service.errors import Conflict, NotFound

T = TypeVar("T")

# Stable constraint names keep Alembic autogenerate free of drift on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions defer
        # locks and break read-then-write sequences under concurrency).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function("duban_local_date", 2, _sqlite_local_date, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front, so two writers queue on
        # busy_timeout instead of failing with "database is locked" mid-way.
        # A reader that must not hold the lock asks for
        # `engine.execution_options(sqlite_begin="DEFERRED")`.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class local_date(FunctionElement):
    """SQL: the local calendar date, in the IANA time zone `tz`, of a UTCDateTime column."""

    type = Date()
    inherit_cache = True

    def __init__(self, column, tz: ZoneInfo):
        super().__init__(column, literal(tz.key))


@compiles(local_date, "postgresql")
def _pg_local_date(element, compiler, **kw):
    column, tz = element.clauses
    return f"CAST(timezone({compiler.process(tz, **kw)}, timezone('UTC', {compiler.process(column, **kw)})) AS DATE)"


@compiles(local_date, "sqlite")
def _sqlite_local_date_sql(element, compiler, **kw):
    return f"duban_local_date({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=65536)
def _sqlite_local_date_of_minute(minute: str, tz_key: str) -> str:
    instant = datetime.fromisoformat(minute).replace(tzinfo=timezone.utc)
    return instant.astimezone(ZoneInfo(tz_key)).date().isoformat()


def _sqlite_local_date(stored: str | None, tz_key: str) -> str | None:
    # UTCDateTime is stored as "YYYY-MM-DD HH:MM:SS.ffffff"; every zone's offset
    # is whole minutes, so the minute decides the local date (and caches well).
    return None if stored is None else _sqlite_local_date_of_minute(stored[:16], tz_key)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class ReadOnlySession(Session):
    """A session for read-only requests: on SQLite its transactions begin
    DEFERRED, so readers run beside a writer instead of queueing on the write
    lock, and it refuses to flush changes (upgrading a deferred transaction to a
    writer can fail with SQLITE_BUSY where IMMEDIATE would have waited)."""


class WriteInReadOnlySession(RuntimeError):
    pass


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_writes(session: Session, _flush_context, _instances) -> None:
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise WriteInReadOnlySession("只读事务不能写入：GET 请求只读（小的记录写入用 defer_write）")


def defer_write(session: ReadOnlySession, write: Callable[[Session], object]) -> None:
    """A small write a read-only session needs (a token's last use): made by
    `run_deferred_writes` in a transaction of its own once the session is closed."""
    session.info.setdefault("deferred_writes", []).append(write)


def run_deferred_writes(session: Session, factory: sessionmaker[Session]) -> None:
    for write in session.info.pop("deferred_writes", []):
        with transaction(factory) as writer:
            write(writer)


# Weak keys: an app's engine (and its pooled connections) goes with its factory.
_read_only_factories: WeakKeyDictionary[sessionmaker[Session], sessionmaker[Session]] = WeakKeyDictionary()


def read_only_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The read-only twin of `factory`: same engine and pool, DEFERRED begin on SQLite."""
    twin = _read_only_factories.get(factory)
    if twin is None:
        engine: Engine = factory.kw["bind"]
        twin = _read_only_factories[factory] = sessionmaker(
            engine.execution_options(sqlite_begin="DEFERRED"), class_=ReadOnlySession, expire_on_commit=False
        )
    return twin


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- changing rows that concurrent requests also change ------------------------
#
# On SQLite every writing transaction begins IMMEDIATE, so writers already run
# one at a time. On PostgreSQL two requests read the same state at once and both
# act on it unless the row is locked before its state is checked; these helpers
# are the one way domain services load what they are about to change.


def lock_for_change(session: Session, entity: type[T], row_id: int, *, shared: bool = False) -> T:
    """The row `entity.id == row_id`, locked until the transaction ends and re-read
    after the lock is granted (an earlier read in this session may be stale): a
    transition checks the state it sees here, so of concurrent requests one wins
    and the others, waiting on the lock, see its outcome and are refused.

    `shared` (FOR SHARE) keeps the row from changing while this transaction runs
    without excluding other sharers: work on a plan's milestones against the
    plan being archived at that moment."""
    row = session.scalars(
        select(entity)
        .where(entity.id == row_id)
        .with_for_update(read=shared)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("要修改的记录刚刚已被他人删除，请刷新后查看")
    return row


def lock_key(session: Session, key: str) -> None:
    """Serialise, until the transaction ends, the transactions that lock the same
    `key`: for a check-then-insert with no row of its own to lock (the count of
    failed logins from one address)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


@contextmanager
def unique_or_conflict(session: Session, message: str) -> Iterator[None]:
    """Flush the rows added or changed in the block in a savepoint of their own; a
    unique key that a concurrent request took between the caller's check and this
    flush is a 409 with `message`, not a 500 (and the request's transaction stays
    usable for the refusal)."""
    session.flush()
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        raise Conflict(message) from None
