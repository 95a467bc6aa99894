"""`duban backup`: a consistent copy of the live SQLite database that serves the
same data; on PostgreSQL a pointer to pg_dump and exit code 2."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.backup import backup_sqlite, sqlite_path
from service.clock import FixedClock
from service.config import Settings
from service.database import transaction
from service.departments.models import Department
from tests.factories import NOW

WRITER_PREFIX = "备份期间写入单位"


def _snapshot(app, world) -> dict:
    with TestClient(app) as client:
        headers = world.headers("city_admin")
        return {
            "plans": client.get("/api/v1/plans", headers=headers).json(),
            "milestones": client.get("/api/v1/milestones?limit=500", headers=headers).json(),
            "inbox": client.get("/api/v1/milestones", headers=world.headers("ip_user")).json(),
        }


def test_backup_while_a_writer_inserts_is_consistent_and_serves_the_same_data(database_url, session_factory, world, tmp_path):
    source = sqlite_path(database_url)
    if source is None:
        pytest.skip("the online backup is for SQLite; PostgreSQL uses pg_dump")
    original = _snapshot(create_app(Settings(database_url=database_url), clock=FixedClock(NOW)), world)
    assert original["milestones"]["total"] >= 3 and original["plans"]

    stop, written = threading.Event(), []

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            with transaction(session_factory) as session:
                session.add(Department(office_id=world.offices["city"].id, name=f"{WRITER_PREFIX}{n:05d}", created_at=NOW))
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        copy = tmp_path / "copy.db"
        size = backup_sqlite(source, copy)
        writes_at_backup = len(written)
        while len(written) < writes_at_backup + 20:  # the writer really went on during and after
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()

    assert size == copy.stat().st_size > 0
    assert not (tmp_path / "copy.db-wal").exists()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        names = [r[0] for r in conn.execute("SELECT name FROM departments WHERE name LIKE ? ORDER BY name", (f"{WRITER_PREFIX}%",))]
    # One snapshot: the writer's first k rows, no gaps, k between what was committed before and after the copy.
    assert names == [f"{WRITER_PREFIX}{n:05d}" for n in range(1, len(names) + 1)]
    assert 20 <= len(names) <= writes_at_backup + 1
    with session_factory() as session:
        assert len(session.scalars(select(Department).where(Department.name.like(f"{WRITER_PREFIX}%"))).all()) > len(names)

    restored = _snapshot(create_app(Settings(database_url=f"sqlite:///{copy}"), clock=FixedClock(NOW)), world)
    assert restored == original


def test_backup_refuses_to_overwrite(database_url, session_factory, tmp_path):
    source = sqlite_path(database_url)
    if source is None:
        pytest.skip("SQLite only")
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    result = _duban(["backup", str(target)], database_url)
    assert result.returncode == 2
    assert "已存在" in result.stderr
    assert target.read_bytes() == b"keep me"


def _duban(args, database_url):
    env = {**os.environ, "DUBAN_DATABASE_URL": database_url}
    duban = Path(sys.executable).with_name("duban")
    return subprocess.run([str(duban), *args], env=env, capture_output=True, text=True, timeout=60)


def test_cli_backup_writes_a_usable_copy(database_url, world, tmp_path):
    if sqlite_path(database_url) is None:
        result = _duban(["backup", str(tmp_path / "x.db")], database_url)
        assert result.returncode == 2
        assert "pg_dump" in result.stderr and "pg_restore" in result.stderr
        assert not (tmp_path / "x.db").exists()
        return
    copy = tmp_path / "cli-copy.db"
    result = _duban(["backup", str(copy)], database_url)
    assert result.returncode == 0, result.stderr
    assert str(copy) in result.stdout
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM milestones").fetchone()[0] >= 3
