"""Rendering pages: one Jinja2 environment, a `render()` helper, flash messages."""

from datetime import date, datetime
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from service.bulletins.service import cn_date, rate_text
from service.delivery.service import CHANNEL_LABELS
from service.milestones.service import STATE_LABELS
from service.milestones.models import RETURNED
from service.milestones.status import LIGHT_LABELS, RED, YELLOW, status_light
from service.resources import resource_dir
from service.web import charts
from service.csrf import CSRF_COOKIE
from service.web.csrf import csrf_seed, csrf_token
from service.web.session import set_cookie

FLASH_COOKIE = "duban_flash"
ROLE_LABELS = {"lead": "牵头", "support": "配合"}

def light_info(milestone, today: date) -> tuple[str, str]:
    """The light of one milestone and the words beside it (逾期 3 天, 已退回, …)."""
    colour = status_light(milestone.state, milestone.due_date, today)
    if colour == RED:
        return colour, f"逾期 {(today - milestone.due_date).days} 天"
    if colour == YELLOW:
        if milestone.state == RETURNED:
            return colour, "已退回"
        days = (milestone.due_date - today).days
        return colour, f"{days} 天内到期" if days else "今天到期"
    return colour, LIGHT_LABELS[colour]


templates = Jinja2Templates(directory=str(resource_dir("templates")))
templates.env.globals.update(
    STATE_LABELS=STATE_LABELS, LIGHT_LABELS=LIGHT_LABELS, ROLE_LABELS=ROLE_LABELS, charts=charts,
    light_info=light_info, CHANNEL_LABELS=CHANNEL_LABELS,
)


def local_time(value: datetime | None, request_tz) -> str:
    return value.astimezone(request_tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _filesize(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


templates.env.filters.update(cn_date=cn_date, rate=rate_text, filesize=_filesize)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    """Render templates/web/<name> with the user, CSRF token, flash and time helpers."""
    settings = request.app.state.settings
    flash = request.cookies.get(FLASH_COOKIE)
    page = {
        "actor": getattr(request.state, "actor", None),
        "user_name": getattr(request.state, "user_name", None),
        "csrf_token": csrf_token(request),
        "flash": _read_flash(flash),
        "local": lambda value: local_time(value, settings.tz),
        "today": request.app.state.clock.now().astimezone(settings.tz).date(),
    } | (context or {})
    response = templates.TemplateResponse(request, f"web/{name}", page, status_code=status_code)
    _keep_csrf_cookie(request, response)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _keep_csrf_cookie(request: Request, response: Response) -> None:
    if request.cookies.get(CSRF_COOKIE) != csrf_seed(request):
        set_cookie(request, response, CSRF_COOKIE, csrf_seed(request), max_age=30 * 24 * 3600)


def _read_flash(raw: str | None) -> tuple[str, str] | None:
    kind, _, text = unquote(raw or "").partition(":")
    if not text:
        return None
    return (kind if kind in ("ok", "error") else "ok", text)


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    """303 to `url`, carrying a one-time message shown on the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_cookie(request, response, FLASH_COOKIE, quote(f"{kind}:{message}"), max_age=60)
    return response
