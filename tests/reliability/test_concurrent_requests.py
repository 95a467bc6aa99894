"""Concurrent requests that race for one state change, against a real uvicorn
server: exactly one wins, the others get a 409 that says why, and the audit log
and the tables hold one change. SQLite serialises writers and always passed;
PostgreSQL did not before the transitions locked what they change.

Each burst starts its requests together behind a barrier, from threads with a
connection each.
"""

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import delete, func, select, update

from service.app import create_app
from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.auth.models import ApiToken, User
from service.auth.service import set_user_active
from service.clock import FixedClock
from service.config import Settings
from service.database import transaction
from service.delivery.service import enqueue
from service.departments.models import Department
from service.errors import Conflict
from service.milestones.models import ExtensionRequest, Milestone, Review
from service.flows.plan_creation import create_plan_from_parsed
from tests.factories import NOW, PASSWORD, milestones_of, simple_plan

BURST = 10


@pytest.fixture
def server(database_url, world, session_factory) -> Iterator[str]:
    with transaction(session_factory) as session:
        # Used just now: a token's first use of the minute writes its row, and that
        # row lock would queue the burst's requests one behind the other.
        session.execute(update(ApiToken).values(last_used_at=NOW))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=database_url, secret_key="test-secret"), clock=FixedClock(NOW))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("uvicorn did not start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def burst(base: str, requests: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Send every request at once, each from its own thread and connection; the answers in order."""
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response | BaseException | None] = [None] * len(requests)

    def run(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/api/v1/ping")  # connected before the barrier, so the requests really overlap
            barrier.wait()
            try:
                answers[i] = requests[i](client)
            except BaseException as exc:  # surfaced below
                answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(isinstance(a, httpx.Response) for a in answers), answers
    return answers


def one_winner(answers: list[httpx.Response], success: int = 200) -> list[httpx.Response]:
    """Exactly one success and the rest 409 with a message; the refusals."""
    assert sorted(a.status_code for a in answers) == [success] + [409] * (len(answers) - 1), [
        (a.status_code, a.text[:200]) for a in answers
    ]
    refused = [a for a in answers if a.status_code == 409]
    assert all(a.json()["detail"] for a in refused)
    return refused


def lead_milestone(session_factory, world) -> Milestone:
    with session_factory() as session:  # closed at once: on SQLite an open session holds the write lock
        return milestones_of(session, world, "ip")[0]


def audit_count(session_factory, action: str) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_concurrent_acknowledgements_sign_once(server, world, session_factory):
    milestone = lead_milestone(session_factory, world).id
    post = lambda c: c.post(f"/api/v1/milestones/{milestone}/ack", headers=world.headers("ip_user"))  # noqa: E731
    refused = one_winner(burst(server, [post] * BURST))
    assert all("已签收" in a.json()["detail"] for a in refused)
    assert audit_count(session_factory, "milestone.acknowledge") == 1


def test_concurrent_reviews_of_one_report_decide_once(server, world, session_factory):
    milestone = lead_milestone(session_factory, world).id
    with httpx.Client(base_url=server) as client:
        report = {"text": "已完成。", "percent": 100}
        assert client.post(f"/api/v1/milestones/{milestone}/reports", json=report,
                           headers=world.headers("ip_user")).status_code == 201
    admin = world.headers("city_admin")
    approve = lambda c: c.post(f"/api/v1/milestones/{milestone}/review",  # noqa: E731
                               json={"decision": "approve", "comment": "同意。"}, headers=admin)
    send_back = lambda c: c.post(f"/api/v1/milestones/{milestone}/review",  # noqa: E731
                                 json={"decision": "return", "comment": "请补充。"}, headers=admin)
    one_winner(burst(server, [approve, send_back] * (BURST // 2)))
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Review.milestone_id == milestone)) == 1
        state = session.get(Milestone, milestone).state
    assert audit_count(session_factory, "milestone.approve") + audit_count(session_factory, "milestone.return") == 1
    assert state in ("approved", "returned")


def test_concurrent_extension_decisions_decide_once(server, world, session_factory):
    milestone = lead_milestone(session_factory, world)
    with httpx.Client(base_url=server) as client:
        asked = client.post(f"/api/v1/milestones/{milestone.id}/extension-requests", headers=world.headers("ip_user"),
                            json={"new_due_date": "2027-03-31", "reason": "需要协调多个单位。"})
    assert asked.status_code == 201
    url = f"/api/v1/extension-requests/{asked.json()['id']}/decision"
    admin = world.headers("city_admin")
    decide = [lambda c, approve=approve: c.post(url, json={"approve": approve}, headers=admin)
              for approve in (True, False) * (BURST // 2)]
    refused = one_winner(burst(server, decide))
    assert all("已处理" in a.json()["detail"] for a in refused)
    assert audit_count(session_factory, "extension.approve") + audit_count(session_factory, "extension.reject") == 1
    with session_factory() as session:
        assert session.get(Milestone, milestone.id).due_version in (milestone.due_version, milestone.due_version + 1)
        assert session.scalar(select(func.count()).where(ExtensionRequest.status == "pending")) == 0


def test_concurrent_extension_requests_leave_one_pending(server, world, session_factory):
    milestone = lead_milestone(session_factory, world).id
    ask = lambda c: c.post(f"/api/v1/milestones/{milestone}/extension-requests",  # noqa: E731
                           headers=world.headers("ip_user"), json={"new_due_date": "2027-03-31", "reason": "理由。"})
    one_winner(burst(server, [ask] * BURST), success=201)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ExtensionRequest)) == 1


def test_concurrent_activations_create_the_milestones_once(server, world, session_factory):
    with transaction(session_factory) as session:
        draft = create_plan_from_parsed(
            session, Actor.system(world.offices["city"].id), simple_plan("市知识产权局", ["市发展改革委"]), now=NOW
        ).plan.id
    activate = lambda c: c.post(f"/api/v1/plans/{draft}/activate", headers=world.headers("city_admin"))  # noqa: E731
    one_winner(burst(server, [activate] * BURST))
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Milestone.plan_id == draft)) == 2
    assert audit_count(session_factory, "plan.activate") == 3 + 1  # the world's three plans and this one


def test_concurrent_archiving_archives_once(server, world, session_factory):
    plan = world.plans["city"]
    archive = lambda c: c.post(f"/api/v1/plans/{plan}/archive", headers=world.headers("city_admin"))  # noqa: E731
    one_winner(burst(server, [archive] * BURST))
    assert audit_count(session_factory, "plan.archive") == 1


def test_concurrent_creations_of_one_user_name_answer_409(server, world, session_factory):
    body = {"username": "new_clerk", "password": "clerk-pass-1", "role": "leader"}
    create = lambda c: c.post("/api/v1/users", json=body, headers=world.headers("city_admin"))  # noqa: E731
    refused = one_winner(burst(server, [create] * BURST), success=201)
    assert all("new_clerk" in a.json()["detail"] for a in refused)
    assert audit_count(session_factory, "user.create") == 1


def test_concurrent_creations_of_one_department_name_answer_409(server, world, session_factory):
    create = lambda c: c.post("/api/v1/departments", json={"name": "市市场监管局"},  # noqa: E731
                              headers=world.headers("city_admin"))
    refused = one_winner(burst(server, [create] * BURST), success=201)
    assert all("市市场监管局" in a.json()["detail"] for a in refused)
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Department.name == "市市场监管局")) == 1


def test_concurrent_creations_of_one_office_name_answer_409(server, world, session_factory):
    create = lambda c: c.post("/api/v1/offices", json={"name": "海珠区办"},  # noqa: E731
                              headers=world.headers("city_admin"))
    refused = one_winner(burst(server, [create] * BURST), success=201)
    assert all("海珠区办" in a.json()["detail"] for a in refused)
    assert audit_count(session_factory, "office.create") == 1


def test_concurrent_first_admins_of_one_child_office_create_one(server, world, session_factory):
    district = world.offices["district"].id
    with session_factory.begin() as session:
        session.execute(delete(User).where(User.office_id == district))
    creators = [
        lambda c, i=i: c.post(f"/api/v1/offices/{district}/admins", headers=world.headers("city_admin"),
                              json={"username": f"first_{i}", "password": "first-pass-123"})
        for i in range(BURST)
    ]
    refused = one_winner(burst(server, creators), success=201)
    assert all("已有管理员" in a.json()["detail"] for a in refused)
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(User.office_id == district)) == 1


def test_concurrent_wrong_passwords_are_checked_only_up_to_the_limit(server, world):
    guess = lambda c: c.post("/api/v1/auth/token", json={"username": "ip_user", "password": "wrong-guess"})  # noqa: E731
    answers = burst(server, [guess] * 40)
    assert Counter(a.status_code for a in answers) == {401: 10, 429: 30}  # the default: 10 failures a minute
    with httpx.Client(base_url=server) as client:
        assert client.post("/api/v1/auth/token", json={"username": "ip_user", "password": PASSWORD}).status_code == 429


def test_concurrent_reopenings_reopen_once(server, world, session_factory):
    milestone = lead_milestone(session_factory, world).id
    with httpx.Client(base_url=server) as client:
        assert client.post(f"/api/v1/milestones/{milestone}/reports", json={"text": "已完成。", "percent": 100},
                           headers=world.headers("ip_user")).status_code == 201
        assert client.post(f"/api/v1/milestones/{milestone}/review", json={"decision": "approve"},
                           headers=world.headers("city_admin")).status_code == 200
    reopen = lambda c: c.post(f"/api/v1/milestones/{milestone}/reopen", json={"comment": "数据有误。"},  # noqa: E731
                              headers=world.headers("city_admin"))
    refused = one_winner(burst(server, [reopen] * BURST))
    # Each names the state the winner left (and, where it read the milestone before the
    # winner's commit, says it was changed meanwhile).
    assert all("已退回" in a.json()["detail"] for a in refused)
    assert audit_count(session_factory, "milestone.reopen") == 1


def test_concurrent_deactivations_of_one_user_deactivate_once(world, session_factory):
    """No API route deactivates users (the 用户 page does): the service's transactions race directly."""
    target = world.users["ip_user"].id
    barrier = threading.Barrier(BURST)
    outcomes: list[str] = []

    def deactivate() -> None:
        try:
            with transaction(session_factory) as session:
                barrier.wait()
                set_user_active(session, world.actor(session, "city_admin"), target, False, now=NOW)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=deactivate) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes, key=lambda o: o != "ok") == ["ok"] + ["用户 ip_user 已经是停用状态"] * (BURST - 1)
    assert audit_count(session_factory, "user.deactivate") == 1


def test_concurrent_retries_of_a_dead_notification_requeue_it_once(server, world, session_factory):
    with transaction(session_factory) as session:
        dead = enqueue(session, office_id=world.offices["city"].id, department_id=None, channel_id=None,
                       channel_type="webhook", target="http://127.0.0.1:9/hook", kind="assignment", level=None,
                       subject="s", body_text="正文", body_markdown=None, body_html=None, event={}, mentions=[],
                       now=NOW)
        dead.status = "dead"
    retry = lambda c: c.post(f"/api/v1/notifications/{dead.id}/retry",  # noqa: E731
                             headers=world.headers("city_admin"))
    one_winner(burst(server, [retry] * BURST))
    assert audit_count(session_factory, "notification.retry") == 1
