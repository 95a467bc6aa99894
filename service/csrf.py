"""Cross-site request forgery: one check for everything a browser's cookie
authenticates, the web forms, the signed-link page and the REST API alike.

A signed double-submit token: a random value lives in an HttpOnly cookie, and
each form (or API call made from a page) carries an HMAC of it under the secret
key. A page on another site (or on a sibling host of the same site, which
SameSite=Lax does not stop) can make the browser send the cookies, but can
neither read them nor compute the HMAC. On top of that, a request whose Origin
(or, without one, Referer) names another host is refused outright.
"""

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from service.errors import Forbidden

CSRF_COOKIE = "duban_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def sign_seed(secret_key: str, seed: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).netloc.lower() or None
    except ValueError:
        return None


def check_same_origin(request: Request) -> None:
    """Refuse a request a browser says came from a page of another host.

    Only the host (with its port) is compared, with the one the request was sent
    to and the public address in DUBAN_BASE_URL: behind a TLS-terminating proxy
    the app sees http where the browser says https. A request with neither header
    (a script, an old browser) is left to the token check.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    own = {request.headers.get("host", "").lower(), _host(request.app.state.settings.base_url)}
    if _host(source) not in own - {"", None}:
        raise Forbidden("请求来自其他网站，已拒绝（来源校验失败）；请在本系统的页面上操作")


def token_matches(request: Request, sent: object) -> bool:
    """Whether the token sent with an unsafe request is the one of this browser's cookie."""
    seed = request.cookies.get(CSRF_COOKIE)
    return bool(seed) and isinstance(sent, str) and hmac.compare_digest(
        sent, sign_seed(request.app.state.settings.secret_key, seed)
    )
