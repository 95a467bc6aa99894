"""User administration: the service functions called directly, then the /users page's forms."""

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.auth.models import ApiToken, User
from service.auth.service import authenticate, reset_password, set_user_active, user_for_token
from service.errors import Forbidden, Invalid, NotFound
from tests.factories import NOW, SOURCE, build_world


def audit_count(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(AuditEvent))
    session.commit()
    return count


def test_deactivation_revokes_every_token_and_reactivation_does_not_bring_them_back(session):
    world = build_world(session)
    admin = world.actor(session, "city_admin")
    user = world.users["ip_user"]
    raw = world.tokens["ip_user"]
    set_user_active(session, admin, user.id, False, now=NOW)
    assert user_for_token(session, raw, now=NOW) is None
    assert session.scalar(select(func.count()).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) == 0
    set_user_active(session, admin, user.id, True, now=NOW)
    assert user.active and user_for_token(session, raw, now=NOW) is None
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == user.id).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["user.deactivate", "user.activate"]


def test_reset_password_changes_the_login_and_ends_old_sessions(session):
    world = build_world(session)
    admin = world.actor(session, "city_admin")
    user = world.users["ip_user"]
    reset_password(session, admin, user.id, "new-password-9", now=NOW)
    assert user_for_token(session, world.tokens["ip_user"], now=NOW) is None
    assert authenticate(session, "ip_user", "new-password-9", now=NOW, source=SOURCE, attempts_per_minute=10).id == user.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.reset_password")).one()
    assert "new-password-9" not in str(event.after)
    with pytest.raises(Invalid):
        reset_password(session, admin, user.id, "short", now=NOW)


@pytest.mark.parametrize("username, target, error", [
    ("ip_user", "dev_user", Forbidden),
    ("city_leader", "dev_user", Forbidden),
    ("other_admin", "dev_user", NotFound),
    ("city_admin", "yuexiu_user", Forbidden),  # a parent office reads its districts, never changes them
    ("city_admin", "city_admin", Invalid),  # nobody locks themselves out
])
def test_only_the_own_offices_admin_manages_a_user(session, username, target, error):
    world = build_world(session)
    with pytest.raises(error):
        set_user_active(session, world.actor(session, username), world.users[target].id, False, now=NOW)
    if error is not Invalid:
        with pytest.raises(error):
            reset_password(session, world.actor(session, username), world.users[target].id, "long-enough-1", now=NOW)


def test_users_page_creates_deactivates_and_resets(session, client_factory):
    world = build_world(session)
    ip_id = world.departments["ip"].id
    admin = client_factory().login("city_admin")
    page = admin.get("/users").text
    assert "ip_user" in page and "yuexiu_user" not in page and "sz_user" not in page
    response = admin.submit("/users", {"username": "ip_clerk", "display_name": "张三", "role": "department",
                                       "department_id": str(ip_id), "password": "clerk-pass-1"}, page="/users")
    assert "已创建用户 ip_clerk" in response.text and 'data-user="ip_clerk"' in response.text
    response = admin.submit("/users", {"username": "nobody", "role": "department", "password": "clerk-pass-1"}, page="/users")
    assert "必须选择所属单位" in response.text
    clerk = client_factory().login("ip_clerk", "clerk-pass-1")
    clerk.submit("/account", {"current_password": "clerk-pass-1", "new_password": "clerk-own-1",
                              "confirm_password": "clerk-own-1"}, page="/account")  # the initial one is temporary
    assert clerk.get("/inbox", follow_redirects=False).status_code == 200
    clerk_id = session.scalars(select(User.id).where(User.username == "ip_clerk")).one()
    session.commit()
    response = admin.submit(f"/users/{clerk_id}/active", {"active": "0"}, page="/users")
    assert "请勾选确认后再停用" in response.text  # irreversible for the user's sessions: confirmed first
    assert clerk.get("/inbox", follow_redirects=False).status_code == 200
    response = admin.submit(f"/users/{clerk_id}/active", {"active": "0", "confirm": "1"}, page="/users")
    assert "已停用" in response.text
    assert clerk.get("/inbox", follow_redirects=False).status_code == 303  # the session ended
    admin.submit(f"/users/{clerk_id}/active", {"active": "1"}, page="/users")
    admin.submit(f"/users/{clerk_id}/password", {"password": "fresh-pass-2"}, page="/users")
    client_factory().login("ip_clerk", "fresh-pass-2")


@pytest.mark.parametrize("username, status", [("ip_user", 403), ("city_leader", 403), ("other_admin", 404)])
def test_user_forms_refuse_everyone_but_the_own_admin(session, client_factory, username, status):
    world = build_world(session)
    target = world.users["dev_user"].id
    before = audit_count(session)
    client = client_factory().login(username)
    assert client.submit(f"/users/{target}/active", {"active": "0", "confirm": "1"}).status_code == status
    assert client.submit(f"/users/{target}/password", {"password": "stolen-pass-1"}).status_code == status
    if status == 403:
        assert client.submit("/users", {"username": "x1", "role": "admin", "password": "long-enough-1"}).status_code == 403
    assert audit_count(session) == before
    client_factory().login("dev_user")  # the password still works
