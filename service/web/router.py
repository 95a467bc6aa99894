"""Mounts the web pages, their static files and their error handling on the app."""

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from service.text import DOCUMENT_FIELDS, check_form
from service.web import (
    account, accounts, assessment, audit, auth, bulletins, calendar, dashboard, directory, drafting, holidays, importing,
    indicators, issued, links, milestones, offices, plans, previews, reminder_policy, reviews, supervision, users, worklist,
)
from service.web.csrf import verify_csrf
from service.web.render import redirect
from service.web.session import ACCOUNT_PAGE, LoginRequired, PasswordChangeRequired, login_redirect_url

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def _check_form_text(request: Request) -> None:
    """After the CSRF check has read the form: no control characters reach a handler
    (but for pasted documents, which the handler cleans)."""
    form = getattr(request.state, "form", None)
    if form is not None:
        route = request.scope.get("route")
        check_form(form.multi_items(), documents=(getattr(route, "openapi_extra", None) or {}).get(DOCUMENT_FIELDS, ()))


web_router = APIRouter(dependencies=[Depends(verify_csrf), Depends(_check_form_text)], include_in_schema=False)
for module in (
    auth, account, dashboard, importing, drafting, plans, milestones, reviews, directory, bulletins, calendar,
    accounts, users, offices, reminder_policy, indicators, holidays, audit, links, previews, worklist, assessment, issued, supervision,
):
    web_router.include_router(module.router)


def install_web(app: FastAPI) -> None:
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        return redirect(request, login_redirect_url(exc.next_path))

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change_required(request: Request, exc: PasswordChangeRequired):
        return redirect(request, ACCOUNT_PAGE)
