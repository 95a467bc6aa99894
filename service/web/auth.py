"""Login and logout pages."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from service.auth.service import LoginFailed, authenticate
from service.dependencies import ClientAddressDep, NowDep, SessionDep, SettingsDep
from service.errors import RateLimited
from service.web.render import redirect, render
from service.web.session import end_session, optional_page_actor, start_session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only paths on this site: "//host" or "http://…" would make an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, session: SessionDep, now: NowDep, next: str | None = None):
    if optional_page_actor(request, session, now) is not None:
        return redirect(request, _safe_next(next))
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    source: ClientAddressDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    context = {"next": _safe_next(next), "username": username}
    try:
        user = authenticate(
            session, username.strip(), password, source=source, now=now,
            attempts_per_minute=settings.login_attempts_per_minute,
        )
    except LoginFailed as exc:
        session.commit()  # the failed attempt must count towards the rate limit
        return render(request, "login.html", context | {"error": exc.message}, status_code=401)
    except RateLimited as exc:
        return render(request, "login.html", context | {"error": exc.message}, status_code=429)
    response = redirect(request, _safe_next(next))
    start_session(request, response, session, user, now=now)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, now: NowDep):
    response = redirect(request, "/login", "已退出登录")
    end_session(request, response, session, now=now)
    return response
