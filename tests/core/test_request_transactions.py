"""A request's transaction is committed before its answer leaves: a client that
is told "saved" (201, or a redirect it follows at once) finds the change, and a
commit that fails is never answered as a success."""

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from service.database import read_only_factory
from service.departments.models import Department


def _counting_departments_at_response_start(app, session_factory, seen: list):
    """The app, wrapped so that when the response starts the department count is read
    from another connection (as the browser's next request would)."""
    reader = read_only_factory(session_factory)

    async def wrapped(scope, receive, send):
        async def spy(message):
            if message["type"] == "http.response.start":
                with reader() as session:
                    seen.append(session.scalar(select(func.count()).select_from(Department)))
            await send(message)

        await app(scope, receive, spy)

    return wrapped


def test_the_change_is_committed_before_the_response_starts(app, session_factory, world):
    seen: list[int] = []
    with TestClient(_counting_departments_at_response_start(app, session_factory, seen)) as client:
        before = client.get("/api/v1/departments", headers=world.headers("city_admin")).json()
        response = client.post("/api/v1/departments", headers=world.headers("city_admin"), json={"name": "市新设局"})
    assert response.status_code == 201
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(Department))
    assert seen[-1] == total  # not total - 1: the answer waited for the commit
    assert len(before) < total


def test_a_failed_commit_is_not_answered_as_a_success(app, session_factory, world):
    def refuse(session):
        raise RuntimeError("disk full")

    event.listen(app.state.session_factory, "before_commit", refuse)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.post("/api/v1/departments", headers=world.headers("city_admin"), json={"name": "市新设局"})
    finally:
        event.remove(app.state.session_factory, "before_commit", refuse)
    assert response.status_code == 500 and response.json()["detail"] == "服务器内部错误，已记录日志"
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Department.name == "市新设局")) == 0
