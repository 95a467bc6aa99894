"""GET and HEAD requests read in DEFERRED transactions on SQLite: they answer
while another connection holds the write lock, and the GETs that write (a
token's first use in a minute, opening a signed link) wait for it and succeed."""

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from service.auth.models import ApiToken
from service.database import ReadOnlySession, WriteInReadOnlySession, read_only_factory
from service.departments.models import Department
from tests.factories import NOW, milestones_of

HELD_S = 0.5
# Far below the 30 s busy timeout a request queued on the write lock would wait.
ANSWER_WITHIN_S = 5


@pytest.fixture
def sqlite_engine(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock and BEGIN modes are SQLite's")
    return engine


def _hold_write_lock(engine):
    """Another connection in the middle of a write transaction (BEGIN IMMEDIATE)."""
    connection = engine.connect()
    connection.execute(update(Department).values(name=Department.name))
    return connection


def _get_in_threads(app, requests: list[tuple[str, dict]]) -> tuple[list, list[threading.Thread]]:
    answers: list = [None] * len(requests)

    def run(i: int, path: str, headers: dict) -> None:
        answers[i] = TestClient(app).get(path, headers=headers)

    threads = [threading.Thread(target=run, args=(i, p, h)) for i, (p, h) in enumerate(requests)]
    for thread in threads:
        thread.start()
    return answers, threads


def _bearer(world, user: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[user]}"}


def test_reads_answer_while_another_connection_holds_the_write_lock(sqlite_engine, session, world, app):
    # Tokens used this minute: the requests have nothing to write.
    session.execute(update(ApiToken).values(last_used_at=NOW))
    session.commit()
    ip = world.departments["ip"].id
    milestone_id = milestones_of(session, world, "ip")[0].id
    writer = _hold_write_lock(sqlite_engine)
    try:
        started = time.monotonic()
        answers, threads = _get_in_threads(app, [
            (f"/api/v1/milestones?department_id={ip}", _bearer(world, "ip_user")),
            (f"/api/v1/milestones/{milestone_id}", _bearer(world, "city_admin")),
            ("/api/v1/plans", _bearer(world, "city_leader")),
        ])
        for thread in threads:
            thread.join(ANSWER_WITHIN_S)
        answered_in = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), "a GET waited for the write lock"
        assert writer.in_transaction()  # the lock was held throughout
    finally:
        writer.rollback()
        writer.close()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["total"] == len(milestones_of(session, world, "ip"))
    assert answered_in < ANSWER_WITHIN_S


def test_gets_that_write_wait_for_the_lock_and_succeed(sqlite_engine, session, world, app):
    # A token never used: the first request records the use.
    writer = _hold_write_lock(sqlite_engine)
    try:
        started = time.monotonic()
        answers, threads = _get_in_threads(app, [
            ("/api/v1/milestones", _bearer(world, "dev_user")),
        ])
        time.sleep(HELD_S)
        assert all(t.is_alive() for t in threads)  # queued behind the writer, not failed
    finally:
        writer.rollback()
        writer.close()
    for thread in threads:
        thread.join(ANSWER_WITHIN_S)
    assert time.monotonic() - started >= HELD_S
    assert [a.status_code for a in answers] == [200]
    session.rollback()  # a fresh snapshot
    dev_token = session.scalars(select(ApiToken).where(ApiToken.user_id == world.users["dev_user"].id)).one()
    assert dev_token.last_used_at == NOW


def test_a_read_only_session_refuses_to_write(session_factory, world):
    with read_only_factory(session_factory)() as reader:
        assert isinstance(reader, ReadOnlySession)
        department = reader.get(Department, world.departments["ip"].id)
        department.name = "改名"
        with pytest.raises(WriteInReadOnlySession):
            reader.flush()
        reader.rollback()
        # Reading and touching nothing is fine.
        assert reader.get(Department, world.departments["ip"].id).name == "市知识产权局"


def test_a_get_recording_a_token_use_holds_one_connection_at_a_time(session, world, app):
    # Two at once per request would exhaust the pool (and wait for its timeout)
    # once as many requests as connections run together.
    held, most = 0, 0

    def checkout(*_):
        nonlocal held, most
        held += 1
        most = max(most, held)

    def checkin(*_):
        nonlocal held
        held -= 1

    event.listen(app.state.engine, "checkout", checkout)
    event.listen(app.state.engine, "checkin", checkin)
    with TestClient(app) as client:
        response = client.get("/api/v1/milestones", headers=_bearer(world, "dev_user"))
    assert response.status_code == 200 and most == 1
    session.rollback()
    dev_token = session.scalars(select(ApiToken).where(ApiToken.user_id == world.users["dev_user"].id)).one()
    assert dev_token.last_used_at == NOW
