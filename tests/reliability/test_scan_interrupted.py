"""The database connection drops in the middle of a reminder scan (after the
ledger rows are written, as the first notification goes in): nothing of that
scan stays, and the next scan sends everything it owed, exactly once.

On PostgreSQL the scan's own backend is killed with pg_terminate_backend from
another connection; on SQLite, which has no server to lose, the driver call
fails with a DBAPI error at the same point.
"""

import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from service.config import Settings
from service.database import make_engine, make_session_factory
from service.delivery.dispatcher import dispatch_once
from service.milestones.models import Milestone
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.reliability import scenario
from tests.reliability.conftest import row_counts

SCAN_AT = datetime(2025, 10, 10, 1, 0, tzinfo=timezone.utc)  # Friday 09:00, just after National Day


def _drop_connection_on_first_notification(engine, admin_engine):
    state = {"dropped": False}

    @event.listens_for(engine, "before_cursor_execute")
    def _drop(conn, cursor, statement, parameters, context, executemany):
        if state["dropped"] or not statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            return
        state["dropped"] = True
        if engine.dialect.name == "postgresql":
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin_engine.connect() as admin:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        else:
            raise sqlite3.OperationalError("disk I/O error")

    return state


def _next_reminders(session_factory):
    with session_factory() as session:
        return dict(session.execute(select(Milestone.id, Milestone.next_reminder_at)).all())


def test_connection_lost_mid_scan_loses_and_duplicates_nothing(database_url, session_factory, engine, robot_receiver):
    keys = scenario.build(session_factory, robot_receiver, departments=4, measures_per_deadline=3)
    settings = Settings(database_url=database_url, webhook_allowed_hosts=["127.0.0.1"], secret_key="test-secret")
    calendar = WorkdayCalendar()
    before, schedule = row_counts(engine), _next_reminders(session_factory)

    scan_engine = make_engine(database_url)
    try:
        state = _drop_connection_on_first_notification(scan_engine, engine)
        with pytest.raises((DBAPIError, sqlite3.OperationalError)):
            run_scan(make_session_factory(scan_engine), settings, calendar, SCAN_AT)
        assert state["dropped"]
        assert row_counts(engine) == before  # the ledger rows went with the transaction
        assert _next_reminders(session_factory) == schedule

        # The same engine recovers (the dead connection is discarded) and the scan completes.
        summary = run_scan(make_session_factory(scan_engine), settings, calendar, SCAN_AT)
    finally:
        scan_engine.dispose()
    wanted = scenario.most_severe(session_factory, keys, SCAN_AT)
    assert summary["reminders"] == len(wanted) > 10
    assert run_scan(session_factory, settings, calendar, SCAN_AT)["reminders"] == 0

    delivered = dispatch_once(session_factory, settings)
    assert delivered["dead"] == delivered["retry"] == 0
    assert scenario.received(robot_receiver) == wanted
