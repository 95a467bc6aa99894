"""CSRF protection for every form (the check itself: service.csrf).

Each page mints the browser's seed cookie on its first view and puts the signed
token in its forms; the router dependency below checks every unsafe request.
"""

import secrets

from fastapi import Request

from service.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, check_same_origin, sign_seed, token_matches
from service.errors import Forbidden


def csrf_seed(request: Request) -> str:
    """The cookie value for this browser, minted on its first page view."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed:
        seed = secrets.token_urlsafe(24)
    request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return sign_seed(request.app.state.settings.secret_key, csrf_seed(request))


async def verify_csrf(request: Request) -> None:
    """Router dependency: every unsafe request must come from a page of this site
    and carry the token of its own cookie."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    request.state.form = form  # handlers read their fields from here
    check_same_origin(request)
    if not token_matches(request, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)):
        raise Forbidden("表单已失效或来源不明（CSRF 校验失败），请返回刷新页面后重试")
