"""The browser session: a `session` ApiToken in an HttpOnly cookie."""

from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.models import TOKEN_KIND_SESSION, User
from service.auth.service import actor_for_user, issue_token, revoke_token, user_for_token
from service.dependencies import SESSION_COOKIE, SessionDep, get_now

SESSION_LIFETIME = timedelta(hours=12)


ACCOUNT_PAGE = "/account"


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to /login."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Raised by page dependencies while an admin-set password is unchanged; the app
    answers with a redirect to the account page."""


def login_redirect_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}" if next_path not in ("", "/") else "/login"


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.base_url.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_secure(request), path="/"
    )


def start_session(request: Request, response: Response, session: Session, user: User, *, now: datetime) -> None:
    raw = issue_token(session, user, now=now, lifetime=SESSION_LIFETIME, kind=TOKEN_KIND_SESSION, name="web login")
    set_cookie(request, response, SESSION_COOKIE, raw, max_age=int(SESSION_LIFETIME.total_seconds()))


def end_session(request: Request, response: Response, session: Session, *, now: datetime) -> None:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        revoke_token(session, raw, now=now)
    response.delete_cookie(SESSION_COOKIE, path="/")


def optional_page_actor(
    request: Request,
    session: SessionDep,
    now: Annotated[datetime, Depends(get_now)],
) -> Actor | None:
    raw = request.cookies.get(SESSION_COOKIE)
    user = user_for_token(session, raw, now=now) if raw else None
    actor = actor_for_user(session, user) if user else None
    request.state.actor = actor
    # A plain string: error pages render after the session has closed.
    request.state.user_name = (user.display_name or user.username) if user else None
    return actor


def page_actor(
    request: Request, actor: Annotated[Actor | None, Depends(optional_page_actor)]
) -> Actor:
    """Like the API's get_actor, but a browser without a session is sent to /login,
    and one whose password an admin set is sent to change it (only the account
    page itself and logout, which needs no login, stay open)."""
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if actor.must_change_password and request.url.path != ACCOUNT_PAGE:
        raise PasswordChangeRequired()
    return actor


PageActorDep = Annotated[Actor, Depends(page_actor)]
