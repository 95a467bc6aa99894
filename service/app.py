"""The FastAPI application: REST API under /api/v1, web UI, scheduler."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import __version__
from service.clock import Clock, SystemClock
from service.config import Settings, get_settings
from service.database import make_engine, make_session_factory
from service.errors import DomainError
from service.web.errors import error_page, wants_html
from service.workdays import calendar_from_settings

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def _describe_validation_error(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{location or '请求'}: {error.get('msg')}")
    return "; ".join(parts) or "请求格式不正确"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError):
        if wants_html(request):
            return error_page(request, exc.status_code, exc.message)
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        if wants_html(request):
            return error_page(request, 422, _describe_validation_error(exc))
        return JSONResponse({"detail": _describe_validation_error(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if wants_html(request):
            return error_page(request, exc.status_code, "您访问的页面不存在或已被删除" if exc.status_code == 404 else str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if wants_html(request):
            return error_page(request, 500, "服务器内部错误，已记录日志")
        return JSONResponse({"detail": "服务器内部错误，已记录日志"}, status_code=500)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if not app.state.start_scheduler:
        yield
        return
    from service.scheduler import build_scheduler

    scheduler = build_scheduler(
        app.state.settings, app.state.session_factory, app.state.calendar, app.state.clock
    )
    scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        # Waits for running jobs, so no claimed batch is left to its lease.
        scheduler.shutdown(wait=True)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, *, start_scheduler: bool = False
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Duban 督办",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
        lifespan=_lifespan,
    )
    app.state.start_scheduler = start_scheduler
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock or SystemClock()
    app.state.calendar = calendar_from_settings(settings.holidays_file)
    _install_error_handlers(app)

    from service.routes import api_router

    app.include_router(api_router, prefix=API_PREFIX)
    from service.reminders.routes import link_router

    app.include_router(link_router)
    from service.web.router import install_web

    install_web(app)
    return app
