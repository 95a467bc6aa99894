"""CSRF protection for every form: a signed double-submit token.

A random value lives in an HttpOnly cookie; each form carries an HMAC of it
under the secret key. A cross-site page can make the browser send the cookie
but can neither read it nor compute the HMAC, so its posts are refused.
"""

import hashlib
import hmac
import secrets

from fastapi import Request

from service.errors import Forbidden

CSRF_COOKIE = "duban_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sign(secret_key: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_seed(request: Request) -> str:
    """The cookie value for this browser, minted on its first page view."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed:
        seed = secrets.token_urlsafe(24)
    request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return _sign(request.app.state.settings.secret_key, csrf_seed(request))


async def verify_csrf(request: Request) -> None:
    """Router dependency: every unsafe request must carry the token of its own cookie."""
    if request.method in SAFE_METHODS:
        return
    seed = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    request.state.form = form  # handlers read their fields from here
    sent = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    if not seed or not isinstance(sent, str) or not hmac.compare_digest(
        sent, _sign(request.app.state.settings.secret_key, seed)
    ):
        raise Forbidden("表单已失效或来源不明（CSRF 校验失败），请返回刷新页面后重试")
