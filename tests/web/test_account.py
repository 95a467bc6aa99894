"""The own account: changing one's password (service, API, 账户 page), and the
forced change of a password an admin chose (at creation or by a reset)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.auth.actor import Actor
from service.auth.models import ROLE_DEPARTMENT, ROLE_LEADER, TOKEN_KIND_SESSION, LoginAttempt, User
from service.auth.service import (
    LoginFailed,
    WrongPassword,
    actor_for_user,
    authenticate,
    change_password,
    create_user,
    issue_token,
    reset_password,
    user_for_token,
)
from service.bootstrap import service_database
from service.clock import FixedClock
from service.config import Settings
from service.demo import load_demo
from service.errors import Invalid, RateLimited
from tests.factories import NOW, PASSWORD, SOURCE, build_world
from tests.web.test_users import audit_count

NEW_PASSWORD = "brand-new-pass-7"
NOTICE = "首次登录或密码被重置后，请先修改密码"


def password_hash(session, username: str) -> str:
    session.expire_all()
    value = session.scalars(select(User.password_hash).where(User.username == username)).one()
    session.commit()
    return value


# --- the service function ---------------------------------------------------------------------------------------


def test_change_replaces_the_password_keeps_this_session_and_ends_the_others(session):
    world = build_world(session)
    user = world.users["ip_user"]
    current = issue_token(session, user, now=NOW, lifetime=timedelta(hours=12), kind=TOKEN_KIND_SESSION)
    change_password(
        session, world.actor(session, "ip_user"), PASSWORD, NEW_PASSWORD, now=NOW, source=SOURCE,
        attempts_per_minute=3,
        keep_token=current,
    )
    assert authenticate(session, "ip_user", NEW_PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=10).id == user.id
    with pytest.raises(LoginFailed):
        authenticate(session, "ip_user", PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=10)
    assert user_for_token(session, current, now=NOW) is user
    assert user_for_token(session, world.tokens["ip_user"], now=NOW) is None  # the API token from before
    assert user_for_token(session, world.tokens["dev_user"], now=NOW) is not None  # nobody else's
    assert user.password_changed_at == NOW and not user.must_change_password
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.change_password")).one()
    assert (event.entity_id, event.actor_id) == (user.id, user.id)
    assert event.after == {"must_change_password": False, "tokens_revoked": 1}
    assert PASSWORD not in str(event.before) + str(event.after) and NEW_PASSWORD not in str(event.after)


def test_a_wrong_current_password_changes_nothing_and_counts_like_a_failed_login(session):
    world = build_world(session)
    actor = world.actor(session, "ip_user")
    before_hash = world.users["ip_user"].password_hash
    for _ in range(3):
        with pytest.raises(WrongPassword, match="当前密码不正确"):
            change_password(session, actor, "guess-" + PASSWORD, NEW_PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=3)
    assert world.users["ip_user"].password_hash == before_hash
    assert user_for_token(session, world.tokens["ip_user"], now=NOW) is not None
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.change_password")) == 0
    assert session.scalar(select(func.count()).where(LoginAttempt.username == "ip_user")) == 3
    # The limit is the login's: neither the right password here nor a login gets through this minute.
    with pytest.raises(RateLimited):
        change_password(session, actor, PASSWORD, NEW_PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=3)
    with pytest.raises(RateLimited):
        authenticate(session, "ip_user", PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=3)
    assert world.users["ip_user"].password_hash == before_hash


@pytest.mark.parametrize("new, message", [
    ("short-1", "至少需要 8 个字符"),
    (PASSWORD, "不能与当前密码相同"),
    ("city_admin", "不能与用户名相同"),
    ("City_Admin", "不能与用户名相同"),
])
def test_new_password_rules(session, new, message):
    world = build_world(session)
    before_hash = world.users["city_admin"].password_hash
    with pytest.raises(Invalid, match=message):
        change_password(session, world.actor(session, "city_admin"), PASSWORD, new, now=NOW, source=SOURCE, attempts_per_minute=3)
    assert world.users["city_admin"].password_hash == before_hash
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.change_password")) == 0


def test_an_admin_set_password_must_be_changed_and_the_change_clears_it(session):
    world = build_world(session)
    admin = world.actor(session, "city_admin")
    assert not any(u.must_change_password for u in world.users.values())  # factory users are not forced
    clerk = create_user(
        session, admin, username="ip_clerk", password="clerk-pass-1", role=ROLE_DEPARTMENT,
        department_id=world.departments["ip"].id, now=NOW,
    )
    assert clerk.must_change_password and world.actor(session, "city_admin").must_change_password is False
    assert actor_for_user(session, clerk).must_change_password
    change_password(session, actor_for_user(session, clerk), "clerk-pass-1", NEW_PASSWORD, now=NOW, source=SOURCE,
                    attempts_per_minute=3)
    assert not clerk.must_change_password
    reset_password(session, admin, clerk.id, "reset-pass-1", now=NOW)
    assert clerk.must_change_password
    # A service account for an integration (the CLI's --no-change-required).
    robot = create_user(session, Actor.system(admin.office_id), username="robot", password="robot-pass-1",
                        role=ROLE_LEADER, must_change_password=False, now=NOW)
    assert not robot.must_change_password


def test_an_admin_changes_the_own_password_on_the_account_page_not_by_a_reset(session):
    world = build_world(session)
    admin = world.users["city_admin"]
    with pytest.raises(Invalid, match="账户"):
        reset_password(session, world.actor(session, "city_admin"), admin.id, "no-old-needed", now=NOW)
    assert authenticate(session, "city_admin", PASSWORD, now=NOW, source=SOURCE, attempts_per_minute=10) is admin


def test_demo_users_are_not_forced(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="demo-test")
    load_demo(settings, FixedClock(NOW))
    with service_database(settings) as (session_factory, _), session_factory() as session:
        flags = session.execute(select(User.username, User.must_change_password)).all()
    assert len(flags) >= 3 and not any(forced for _, forced in flags)


# --- the API ----------------------------------------------------------------------------------------------------


def token(client, username: str, password: str) -> tuple[dict, bool]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}, response.json()["must_change_password"]


def test_api_a_created_user_changes_the_initial_password_before_anything_else(client, world):
    admin = world.headers("city_admin")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "ip_clerk", "password": "clerk-pass-1", "role": "department",
        "department_id": world.departments["ip"].id,
    })
    assert created.status_code == 201 and created.json()["must_change_password"] is True
    earlier, _ = token(client, "ip_clerk", "clerk-pass-1")
    clerk, forced = token(client, "ip_clerk", "clerk-pass-1")
    assert forced is True
    assert client.get("/api/v1/me", headers=clerk).json()["must_change_password"] is True
    refused = client.get("/api/v1/milestones", headers=clerk)
    assert refused.status_code == 403 and "请先修改初始密码" in refused.json()["detail"]
    assert client.post("/api/v1/milestones/1/ack", headers=clerk).status_code == 403
    changed = client.post("/api/v1/me/password", headers=clerk,
                          json={"current_password": "clerk-pass-1", "new_password": NEW_PASSWORD})
    assert changed.status_code == 204, changed.text
    me = client.get("/api/v1/me", headers=clerk).json()
    assert me["must_change_password"] is False and me["password_changed_at"] is not None
    assert client.get("/api/v1/milestones", headers=clerk).status_code == 200
    assert client.get("/api/v1/me", headers=earlier).status_code == 401  # the other token ended
    assert token(client, "ip_clerk", NEW_PASSWORD)[1] is False


def test_api_after_a_reset_the_user_must_change_again(client, world, session):
    reset_password(session, world.actor(session, "city_admin"), world.users["ip_user"].id, "reset-pass-1", now=NOW)
    session.commit()
    headers, forced = token(client, "ip_user", "reset-pass-1")
    assert forced and client.get("/api/v1/milestones", headers=headers).status_code == 403
    assert client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": "reset-pass-1", "new_password": NEW_PASSWORD}).status_code == 204
    assert client.get("/api/v1/milestones", headers=headers).status_code == 200


def test_api_me_password_changes_only_the_callers_own_password(client, world, session):
    before = audit_count(session)
    # All factory users share PASSWORD, so the admin "knows" ip_user's current password; fields naming
    # another user are not part of the request and change nothing.
    response = client.post("/api/v1/me/password", headers=world.headers("city_admin"), json={
        "current_password": PASSWORD, "new_password": "taken-over-1",
        "username": "ip_user", "user_id": world.users["ip_user"].id,
    })
    assert response.status_code == 204
    assert audit_count(session) == before + 1
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.entity_id) == ("user.change_password", world.users["city_admin"].id)
    token(client, "ip_user", PASSWORD)
    token(client, "city_admin", "taken-over-1")
    assert client.post("/api/v1/auth/token", json={"username": "ip_user", "password": "taken-over-1"}).status_code == 401


@pytest.mark.parametrize("body, status, message", [
    ({"current_password": "wrong-password", "new_password": NEW_PASSWORD}, 403, "当前密码不正确"),
    ({"current_password": PASSWORD, "new_password": "short"}, 422, "至少需要"),
    ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "不能与当前密码相同"),
    ({"current_password": PASSWORD, "new_password": "dev_user"}, 422, "不能与用户名相同"),
    ({"current_password": PASSWORD, "new_password": "bad\x00password"}, 422, "new_password"),
    ({"current_password": PASSWORD}, 422, "new_password"),
])
def test_api_refused_changes_say_why_and_change_nothing(client, world, session, body, status, message):
    before = audit_count(session)
    hash_before = password_hash(session, "dev_user")
    response = client.post("/api/v1/me/password", headers=world.headers("dev_user"), json=body)
    assert response.status_code == status and message in response.json()["detail"]
    assert audit_count(session) == before and password_hash(session, "dev_user") == hash_before
    assert client.get("/api/v1/me", headers=world.headers("dev_user")).status_code == 200


def test_api_guessing_the_current_password_is_rate_limited(client, world, session):
    guesses = [
        client.post("/api/v1/me/password", headers=world.headers("dev_user"),
                    json={"current_password": f"guess-{n}-xx", "new_password": NEW_PASSWORD}).status_code
        for n in range(11)
    ]
    assert guesses == [403] * 10 + [429]  # the app's default: 10 failures a minute
    assert client.post("/api/v1/auth/token", json={"username": "dev_user", "password": PASSWORD}).status_code == 429


def test_api_me_password_needs_a_login(client, world):
    response = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 401


# --- the 账户 page ----------------------------------------------------------------------------------------------


def test_web_forced_change_after_creation(session, client_factory):
    world = build_world(session)
    admin = client_factory().login("city_admin")
    admin.submit("/users", {"username": "ip_clerk", "role": "department", "password": "clerk-pass-1",
                            "department_id": str(world.departments["ip"].id)}, page="/users")
    assert "待改密" in admin.get("/users").text
    clerk = client_factory().login("ip_clerk", "clerk-pass-1")
    for path in ["/", "/inbox", "/plans", f"/plans/{world.plans['city']}"]:
        response = clerk.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/account"), path
    refused_post = clerk.submit("/milestones/1/ack", page="/account", follow_redirects=False)
    assert (refused_post.status_code, refused_post.headers["location"]) == (303, "/account")
    page = clerk.get("/inbox").text  # followed to the account page
    assert NOTICE in page and 'href="/inbox"' not in page
    assert clerk.get("/static/duban.css").status_code == 200

    mismatch = clerk.submit("/account", {"current_password": "clerk-pass-1", "new_password": NEW_PASSWORD,
                                         "confirm_password": NEW_PASSWORD + "x"}, page="/account")
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    wrong = clerk.submit("/account", {"current_password": "wrong-pass-99", "new_password": NEW_PASSWORD,
                                      "confirm_password": NEW_PASSWORD}, page="/account")
    assert wrong.status_code == 403 and "当前密码不正确" in wrong.text
    for response in (mismatch, wrong):
        assert NEW_PASSWORD not in response.text and "wrong-pass-99" not in response.text
        assert "clerk-pass-1" not in response.text
    same = clerk.submit("/account", {"current_password": "clerk-pass-1", "new_password": "clerk-pass-1",
                                     "confirm_password": "clerk-pass-1"}, page="/account")
    assert same.status_code == 422 and "不能与当前密码相同" in same.text
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.change_password")) == 0

    done = clerk.submit("/account", {"current_password": "clerk-pass-1", "new_password": NEW_PASSWORD,
                                     "confirm_password": NEW_PASSWORD}, page="/account", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/")
    inbox = clerk.get("/inbox")  # this browser stays logged in
    assert inbox.status_code == 200 and "密码已修改" in inbox.text and NOTICE not in inbox.text
    assert NOTICE not in clerk.get("/account").text
    client_factory().login("ip_clerk", NEW_PASSWORD)


def test_web_forced_change_after_an_admin_reset_and_the_other_browser_is_logged_out(session, client_factory):
    world = build_world(session)
    target = world.users["dev_user"].id
    admin = client_factory().login("city_admin")
    assert "已重置" in admin.submit(f"/users/{target}/password", {"password": "reset-pass-1"}, page="/users").text
    laptop = client_factory().login("dev_user", "reset-pass-1")
    phone = client_factory().login("dev_user", "reset-pass-1")
    assert laptop.get("/inbox", follow_redirects=False).headers["location"] == "/account"
    laptop.submit("/account", {"current_password": "reset-pass-1", "new_password": NEW_PASSWORD,
                               "confirm_password": NEW_PASSWORD}, page="/account")
    assert laptop.get("/inbox", follow_redirects=False).status_code == 200
    assert phone.get("/inbox", follow_redirects=False).headers["location"].startswith("/login")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.change_password")).one()
    assert event.entity_id == target and "reset-pass-1" not in str(event.after) and NEW_PASSWORD not in str(event.after)


@pytest.mark.parametrize("username", ["city_admin", "city_leader", "ip_user"])
def test_web_account_page_for_every_role(session, client_factory, username):
    build_world(session)
    client = client_factory().login(username)
    home = client.get("/").text
    assert 'href="/account"' in home and NOTICE not in home
    page = client.get("/account")
    assert page.status_code == 200 and username in page.text and 'name="current_password"' in page.text


def test_web_account_password_is_rate_limited_and_needs_a_session(session, client_factory):
    build_world(session)
    client = client_factory().login("ip_user")
    wrong = {"current_password": "nope-nope-1", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    statuses = [client.submit("/account", wrong, page="/account").status_code for _ in range(4)]
    assert statuses == [403, 403, 403, 429]  # web_settings: 3 attempts a minute
    anonymous = client_factory()
    response = anonymous.submit("/account", wrong, page="/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
