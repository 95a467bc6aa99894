"""FastAPI dependencies shared by every domain's routes."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.service import actor_for_user, client_address, user_for_token
from service.config import Settings
from service.csrf import CSRF_HEADER, SAFE_METHODS, check_same_origin, token_matches
from service.database import read_only_factory, run_deferred_writes
from service.errors import DomainError, Forbidden
from service.holidays.source import CalendarSource
from service.ids import MAX_ID
from service.workdays import WorkdayCalendar

SESSION_COOKIE = "duban_session"
READ_METHODS = frozenset({"GET", "HEAD"})


class NotAuthenticated(DomainError):
    status_code = 401


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _request_session(request: Request, *, read_only: bool) -> Iterator[Session]:
    factory = request.app.state.session_factory
    session = (read_only_factory(factory) if read_only else factory)()
    try:
        yield session
        session.commit()
    except DomainError as exc:
        session.commit() if exc.keep_changes else session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        # After close: the request's connection is back in the pool first.
        run_deferred_writes(session, factory)


def reads_only(request: Request) -> bool:
    return request.method in READ_METHODS


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns normally,
    before the answer is sent (see SessionDep).

    GET and HEAD read in a read-only session (DEFERRED on SQLite), so they do not
    queue behind writers; every other method takes the write lock up front.
    """
    yield from _request_session(request, read_only=reads_only(request))


# scope="function": the session is committed and closed before the response is
# sent. FastAPI's default ("request") runs that after sending, so a client told
# "saved" could read the old rows, and a failing commit was answered as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_client_address(request: Request) -> str:
    """The client's address, as the login limits count it (X-Forwarded-For only from a trusted proxy)."""
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        request.app.state.settings.trusted_proxies,
    )


def get_now(request: Request) -> datetime:
    return request.app.state.clock.now()


def get_today(request: Request) -> date:
    settings: Settings = request.app.state.settings
    return request.app.state.clock.now().astimezone(settings.tz).date()


def get_calendar_source(request: Request) -> CalendarSource:
    return request.app.state.calendar_source


def get_calendar(request: Request) -> WorkdayCalendar:
    """The process's calendar, rechecked against the database at most once a minute."""
    return request.app.state.calendar_source.current(request.app.state.clock.now())


def request_credential(request: Request) -> str | None:
    """The raw token a request authenticates with: its bearer token, else the web
    session cookie. A browser sends the cookie along with any page's request, so an
    unsafe request the cookie authenticates must prove it comes from one of our
    pages (the CSRF token in X-CSRF-Token, and no foreign Origin); a bearer token
    is sent only by a client that holds it."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and request.method not in SAFE_METHODS:
        check_same_origin(request)
        if not token_matches(request, request.headers.get(CSRF_HEADER)):
            raise Forbidden(
                "以登录 Cookie 调用接口的写操作须带 X-CSRF-Token 请求头（CSRF 校验失败）；集成请使用 Bearer 令牌"
            )
    return raw


def get_optional_actor(
    request: Request,
    session: SessionDep,
    now: Annotated[datetime, Depends(get_now)],
) -> Actor | None:
    """The caller if the request is authenticated, else None (routes open to anyone)."""
    raw = request_credential(request)
    user = user_for_token(session, raw, now=now) if raw else None
    return actor_for_user(session, user) if user else None


def get_account_actor(actor: Annotated[Actor | None, Depends(get_optional_actor)]) -> Actor:
    """The caller, even one who must still change an admin-set password: for the
    few routes about the own account (/me, /me/password, logout)."""
    if actor is None:
        raise NotAuthenticated("未登录或登录已失效")
    return actor


def get_actor(actor: Annotated[Actor, Depends(get_account_actor)]) -> Actor:
    """The caller, allowed to work: an admin-set password must be changed first."""
    if actor.must_change_password:
        raise Forbidden("请先修改初始密码（POST /api/v1/me/password）")
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
AccountActorDep = Annotated[Actor, Depends(get_account_actor)]
OptionalActorDep = Annotated[Actor | None, Depends(get_optional_actor)]
NowDep = Annotated[datetime, Depends(get_now)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
TodayDep = Annotated[date, Depends(get_today)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CalendarDep = Annotated[WorkdayCalendar, Depends(get_calendar)]
CalendarSourceDep = Annotated[CalendarSource, Depends(get_calendar_source)]

# Database ids are 32-bit on PostgreSQL; a larger number is a 422, not a 500.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# Offsets and page numbers are bound into the query as ids are.
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_ID)]
PageQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
