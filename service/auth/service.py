"""Users, passwords, bearer tokens and login rate limiting."""

import hashlib
import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.auth.models import (
    ROLE_ADMIN,
    ROLE_DEPARTMENT,
    ROLE_OPERATOR,
    ROLES,
    TOKEN_KIND_API,
    TOKEN_KIND_SERVICE,
    ApiToken,
    LoginAttempt,
    User,
)
from service.auth.passwords import hash_password, verify_password
from service.database import ReadOnlySession, defer_write, lock_for_change, lock_key, unique_or_conflict
from service.departments.models import Department
from service.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from service.offices.models import Office
from service.offices.service import child_office_to_staff, descendant_office_ids

MIN_PASSWORD_LENGTH = 8
LOGIN_WINDOW = timedelta(minutes=1)
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


class LoginFailed(Invalid):
    status_code = 401
    keep_changes = True


class WrongPassword(Invalid):
    """The current password given to change it is wrong; counts like a failed login."""

    status_code = 403
    keep_changes = True


def actor_for_user(session: Session, user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        office_id=user.office_id,
        role=user.role,
        department_id=user.department_id if user.role == ROLE_DEPARTMENT else None,
        # The operator runs the deployment and reads no office's work.
        readable_office_ids=frozenset() if user.role == ROLE_OPERATOR
        else descendant_office_ids(session, user.office_id),
        must_change_password=user.must_change_password,
    )


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    department_id: int | None = None,
    display_name: str | None = None,
    must_change_password: bool = True,
    now: datetime,
) -> User:
    """A new account. Its password is the admin's choice, so by default the user
    must replace it at first login; service accounts of integrations (and the
    demo's users) are created with must_change_password=False. Only an operator
    creates another operator."""
    if role == ROLE_OPERATOR:
        actor.require_operator()
    else:
        actor.require_admin()
    return _add_user(
        session, actor, actor.office_id, username=username, password=password, role=role,
        department_id=department_id, display_name=display_name, must_change_password=must_change_password, now=now,
    )


def create_first_admin(
    session: Session, actor: Actor, office_id: int, *, username: str, password: str, now: datetime
) -> User:
    """A new child office's first admin, by the operator or the parent office's admin;
    the password is temporary. Later admins are the office's own business."""
    office = child_office_to_staff(session, actor, office_id)
    # Held until the commit: of concurrent first admins for one office, one is created.
    lock_for_change(session, Office, office.id)
    has_admin = select(User.id).where(User.office_id == office.id, User.role == ROLE_ADMIN)
    if session.scalars(has_admin).first() is not None:
        raise Conflict(f"办公室 {office.name} 已有管理员，其他管理员由该办公室自行创建", field="office_id")
    return _add_user(session, actor, office.id, username=username, password=password, role=ROLE_ADMIN, now=now)


def _add_user(
    session: Session,
    actor: Actor,
    office_id: int,
    *,
    username: str,
    password: str,
    role: str,
    department_id: int | None = None,
    display_name: str | None = None,
    must_change_password: bool = True,
    now: datetime,
) -> User:
    username = username.strip()
    if not username:
        raise Invalid("用户名不能为空")
    if role not in ROLES:
        raise Invalid(f"角色必须是 {', '.join(ROLES)} 之一，而不是 {role!r}")
    _check_new_password(password)
    if role == ROLE_DEPARTMENT:
        if department_id is None:
            raise Invalid("单位用户必须指定 department_id")
        department = session.get(Department, department_id)
        if department is None or department.office_id != office_id:
            raise NotFound(f"单位 {department_id} 不存在")
    elif department_id is not None:
        raise Invalid("只有单位用户 (role=department) 可以绑定单位")
    taken = f"用户名 {username} 已被使用"
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(taken, field="username")
    user = User(
        office_id=office_id,
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        department_id=department_id,
        created_at=now,
        must_change_password=must_change_password,
        password_changed_at=now,
    )
    with unique_or_conflict(session, taken):
        session.add(user)
    record(
        session, actor, "user.create", "user", user.id,
        after={
            "username": username, "role": role, "office_id": office_id, "department_id": department_id,
            "must_change_password": must_change_password,
        },
        now=now,
    )
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    """The users of the admin's own office (not an operator filed under it)."""
    actor.require_admin()
    return list(session.scalars(
        select(User).where(User.office_id == actor.office_id, User.role != ROLE_OPERATOR).order_by(User.id)
    ))


def _managed_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    # An operator's account is filed under an office but is not the office's: its
    # admin resetting the password would take over the deployment's operator.
    if user is None or user.office_id not in actor.readable_office_ids or user.role == ROLE_OPERATOR:
        raise NotFound(f"用户 {user_id} 不存在")
    actor.require_admin_of(user.office_id)
    return user


def revoke_user_tokens(session: Session, user_id: int, *, now: datetime, keep: str | None = None) -> int:
    """End every session and API token of a user but `keep` (a raw token); returns how many were live."""
    live = [ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)]
    if keep is not None:
        live.append(ApiToken.token_hash != _hash_token(keep))
    return session.execute(update(ApiToken).where(*live).values(revoked_at=now)).rowcount


def set_user_active(session: Session, actor: Actor, user_id: int, active: bool, *, now: datetime) -> User:
    """Deactivate (revoking the user's sessions and tokens) or reactivate a user."""
    user = _managed_user(session, actor, user_id)
    if not active and user.id == actor.user_id:
        raise Invalid("不能停用自己的账号")
    if lock_for_change(session, User, user.id).active == active:
        # Already so: another admin's request just did it (one audit event, not two).
        raise Conflict(f"用户 {user.username} 已经是{'启用' if active else '停用'}状态")
    before = user.active
    user.active = active
    revoked = 0 if active else revoke_user_tokens(session, user.id, now=now)
    session.flush()
    record(
        session, actor, "user.activate" if active else "user.deactivate", "user", user.id,
        before={"active": before}, after={"active": active, "tokens_revoked": revoked}, now=now,
    )
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str, *, now: datetime) -> User:
    """Set a temporary password the user must change at next login; the old one's
    sessions and tokens stop working."""
    user = _managed_user(session, actor, user_id)
    if user.id == actor.user_id:
        # Replacing one's own password takes the current one (change_password), so a
        # session left open is not enough to take over an admin account.
        raise Invalid("不能在此重置自己的密码，请在“账户”页面修改")
    _check_new_password(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = True
    revoked = revoke_user_tokens(session, user.id, now=now)
    session.flush()
    # The password itself never reaches the audit log.
    record(session, actor, "user.reset_password", "user", user.id, after={"tokens_revoked": revoked}, now=now)
    return user


def change_password(
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
    source: str,
    attempts_per_minute: int,
    keep_token: str | None = None,
) -> User:
    """The acting user replaces their own password, proving the current one.

    Wrong current passwords count against the same limits as failed logins
    (check_login_limit), so a session left open does not allow unlimited guessing. Every other
    session and API token of the user ends (whoever knew the old password may
    hold one); `keep_token`, the credential of this request, stays valid so the
    user is not logged out by their own change.
    """
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise Forbidden("只有登录用户可以修改自己的密码")
    if not _limited_verify(
        session, user.username, source, lambda: verify_password(user.password_hash, current_password),
        now=now, attempts_per_minute=attempts_per_minute,
    ):
        raise WrongPassword("当前密码不正确")
    _check_new_password(new_password)
    if new_password == current_password:
        raise Invalid("新密码不能与当前密码相同")
    if new_password.strip().casefold() == user.username.casefold():
        raise Invalid("新密码不能与用户名相同")
    before = user.must_change_password
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.must_change_password = False
    revoked = revoke_user_tokens(session, user.id, now=now, keep=keep_token)
    session.flush()
    record(
        session, actor, "user.change_password", "user", user.id,
        before={"must_change_password": before},
        after={"must_change_password": False, "tokens_revoked": revoked}, now=now,
    )
    return user


def client_address(
    peer: str | None,
    forwarded_for: Sequence[str],
    trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str:
    """The address a request comes from, for the login limits: the socket peer,
    unless the peer is a trusted proxy; then X-Forwarded-For (its `forwarded_for`
    headers in order), read from the right, past the trusted proxies, to the first
    address a trusted proxy saw connect. Anything left of that was written by the
    client and proves nothing; an entry that is no address ends the walk at the
    proxy that passed it on."""

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted_proxies)

    client = peer or ""
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    while trusted(client) and hops:
        hop = hops.pop()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        client = hop
    return client[:64]


def check_login_limit(
    session: Session, username: str, source: str, *, now: datetime, attempts_per_minute: int
) -> None:
    """Refuse (429) a login or password check that the failures of the last minute forbid.

    Two counts of failed attempts, `attempts_per_minute` each:
    - per source address, across user names: one machine cannot guess through
      many accounts (nor many guesses at one account) faster than the limit;
    - per user name, across addresses: once an account has had that many failures
      in the minute, only the addresses that took part in them are refused for it.

    A failure therefore never locks anyone else out: the real user, logging in
    from an address that has not failed on the account, gets through even while
    the account is being guessed at from elsewhere; a guesser spread over many
    addresses is held to one failure per address and minute on an account under
    attack (instead of the limit each). Offices behind one NAT address share its
    per-address count; the window is a minute, so a mistyping office is slowed
    down, not locked out.
    """
    by_source, by_user, by_pair = session.execute(
        select(
            func.count().filter(LoginAttempt.source == source),
            func.count().filter(LoginAttempt.username == username),
            func.count().filter(and_(LoginAttempt.username == username, LoginAttempt.source == source)),
        ).where(
            LoginAttempt.attempted_at > now - LOGIN_WINDOW,
            or_(LoginAttempt.source == source, LoginAttempt.username == username),
        )
    ).one()
    if by_source >= attempts_per_minute or (by_user >= attempts_per_minute and by_pair):
        raise RateLimited("密码错误过于频繁，请一分钟后再试")


def _limited_verify(
    session: Session, username: str, source: str, verify, *, now: datetime, attempts_per_minute: int
) -> bool:
    """Whether `verify()` accepts the password, within the login limits; a failure is counted.

    The limit is checked before the (slow on purpose) password hash, so a flood is
    refused cheaply, and again after it with the source's attempts serialised
    (lock_key), so that of concurrent guesses exactly as many are checked as the
    limit allows; the result of a check over the limit is not told (429 either way)."""
    check_login_limit(session, username, source, now=now, attempts_per_minute=attempts_per_minute)
    verified = verify()
    lock_key(session, f"login-source:{source}")
    check_login_limit(session, username, source, now=now, attempts_per_minute=attempts_per_minute)
    if not verified:
        session.add(LoginAttempt(username=username, source=source, attempted_at=now))
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - LOGIN_WINDOW))
    return verified


def authenticate(
    session: Session, username: str, password: str, *, source: str, now: datetime, attempts_per_minute: int
) -> User:
    """The user for these credentials from the client address `source`; failures
    count towards the login limits (check_login_limit)."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if not _limited_verify(
        session, username, source,
        lambda: user is not None and user.active and verify_password(user.password_hash, password),
        now=now, attempts_per_minute=attempts_per_minute,
    ):
        raise LoginFailed("用户名或密码错误")
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token(
    session: Session, user: User, *, now: datetime, kind: str, lifetime: timedelta | None, name: str | None,
    created_by: int | None = None,
) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(raw),
        kind=kind,
        name=name,
        created_at=now,
        created_by=created_by,
        expires_at=now + lifetime if lifetime else None,
    )
    session.add(token)
    session.flush()
    return raw, token


def issue_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    lifetime: timedelta,
    kind: str = TOKEN_KIND_API,
    name: str | None = None,
) -> str:
    """A login's token: it always expires (logins never mint a forever-credential;
    integrations get a listed service token from an admin)."""
    return _new_token(session, user, now=now, kind=kind, lifetime=lifetime, name=name)[0]


def user_for_token(session: Session, raw: str, *, now: datetime) -> User | None:
    """The active user a valid token belongs to, or None.

    When the token was last used is written at most once a minute; from a
    read-only request's session in a short transaction of its own once that
    session is closed (it may not write, and holding two connections at once
    would exhaust the pool under load).
    """
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        if isinstance(session, ReadOnlySession):
            token_id = token.id
            defer_write(session, lambda writer: writer.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            ))
        else:
            token.last_used_at = now
    return user


def revoke_token(session: Session, raw: str, *, now: datetime) -> bool:
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw))).first()
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = now
    return True


# --- long-lived tokens of integrations -----------------------------------------

SERVICE_TOKEN_MAX_DAYS = 3650


def issue_service_token(
    session: Session, actor: Actor, user_id: int, *, name: str, days: int | None, now: datetime
) -> tuple[str, ApiToken]:
    """A token an admin issues for an account of their office (an integration's
    service account), valid `days` or, with None, until revoked. It is listed
    with its creator and last use, unlike a user's own logins."""
    user = _managed_user(session, actor, user_id)
    if not user.active:
        raise Invalid(f"用户 {user.username} 已停用，不能为其签发令牌")
    name = name.strip()
    if not name:
        raise Invalid("请填写令牌用途（名称），以便日后识别和吊销")
    if days is not None and not 1 <= days <= SERVICE_TOKEN_MAX_DAYS:
        raise Invalid(f"有效期须在 1 至 {SERVICE_TOKEN_MAX_DAYS} 天之间，或留空表示长期有效")
    raw, token = _new_token(
        session, user, now=now, kind=TOKEN_KIND_SERVICE, lifetime=timedelta(days=days) if days else None,
        name=name, created_by=actor.user_id,
    )
    expires = token.expires_at.isoformat() if token.expires_at else None
    record(session, actor, "token.issue", "user", user.id,
           after={"token_id": token.id, "name": name, "expires_at": expires}, now=now)
    return raw, token


def list_service_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The service tokens of the admin's office, newest first, revoked ones included."""
    actor.require_admin()
    return list(session.scalars(
        select(ApiToken).join(User, User.id == ApiToken.user_id)
        .where(User.office_id == actor.office_id, ApiToken.kind == TOKEN_KIND_SERVICE)
        .order_by(ApiToken.id.desc())
    ))


def revoke_service_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.kind != TOKEN_KIND_SERVICE:
        raise NotFound(f"令牌 {token_id} 不存在")
    _managed_user(session, actor, token.user_id)
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
        record(session, actor, "token.revoke", "user", token.user_id, after={"token_id": token.id}, now=now)
    return token
