"""The FastAPI application: REST API under /api/v1, web UI, scheduler."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError as DBAPIDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import __version__
from service.clock import Clock, SystemClock
from service.auth.secrets import with_signing_key
from service.config import Settings, get_settings
from service.database import make_engine, make_session_factory
from service.errors import DomainError
from service.holidays.source import CalendarSource
from service.web.errors import error_page, wants_html

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def _describe_validation_error(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{location or '请求'}: {error.get('msg')}")
    return "; ".join(parts) or "请求格式不正确"


class RequestSizeLimit:
    """Refuses request bodies above `max_bytes` with 413: by Content-Length up
    front; a chunked body without one is read (up to the limit) before the app
    sees it, since the app's body parsers would turn an error raised mid-read
    into a 400."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                return await self._refuse(send)
            return await self.app(scope, receive, send)
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            return await self.app(scope, receive, send)
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return await self._refuse(send)
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send):
        limit_mb = self.max_bytes / (1024 * 1024)
        await JSONResponse({"detail": f"请求内容过大，上限为 {limit_mb:g} MB"}, status_code=413)(
            {"type": "http"}, None, send
        )


# Nothing the app serves loads or sends anything outside it: an office intranet
# has no Internet, and an injected tag must not reach one. Styles may be inline:
# the pages' bars are sized by data (style="width: 40%") and Swagger UI sets
# styles as it renders; a style cannot run script. data: images are Swagger UI's
# icons, drawn by its stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Page addresses hold secrets (/m/<token>, calendar feeds): never sent to another site.
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response, pages, API, files and errors alike."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Swagger UI's files from a package (fastapi-offline ships its dist), not a CDN.
SWAGGER_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Duban 督办 API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def _install_docs(app: FastAPI) -> None:
    """/docs from local files, its start-up in /static/docs.js (no inline script
    under the CSP). ReDoc is not offered: Swagger UI covers it, and ReDoc's page
    loads its fonts from outside."""
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)


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

    @app.exception_handler(DBAPIDataError)
    async def _unstorable(request: Request, exc: DBAPIDataError):
        # The database refused a value the request carried (an integer beyond
        # its column on PostgreSQL): the client's error, not ours. Control
        # characters in text never get this far (service.text).
        log.info("database refused request data on %s %s: %s", request.method, request.url.path, exc.orig)
        message = "请求包含无法保存的数据（如超出范围的数值）"
        if wants_html(request):
            return error_page(request, 422, message)
        return JSONResponse({"detail": message}, status_code=422)

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
        app.state.settings, app.state.session_factory, app.state.calendar_source, app.state.clock
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
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.start_scheduler = start_scheduler
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.settings = settings = with_signing_key(settings, app.state.session_factory)
    app.state.clock = clock or SystemClock()
    app.state.calendar_source = CalendarSource(app.state.session_factory, settings)
    _install_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    # Added last, so outermost: the size limit's own 413 carries the headers too.
    app.add_middleware(SecurityHeaders)

    from service.routes import api_router

    app.include_router(api_router, prefix=API_PREFIX)
    from service.web.router import install_web

    install_web(app)
    _install_docs(app)
    _document_error_shape(app)
    return app


def _document_error_shape(app: FastAPI) -> None:
    """Every refusal answers `{"detail": "<message>"}` (the handlers above turn
    validation errors into one sentence too), so the OpenAPI document says so
    instead of FastAPI's default list of validation errors."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schemas = generate().setdefault("components", {}).setdefault("schemas", {})
            schemas.pop("ValidationError", None)
            schemas["HTTPValidationError"] = {
                "title": "Error",
                "type": "object",
                "properties": {"detail": {"type": "string", "title": "Detail", "description": "说明请求哪里不对"}},
                "required": ["detail"],
            }
        return app.openapi_schema

    app.openapi = openapi
