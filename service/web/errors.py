"""HTML error pages for browser paths; the API keeps its JSON errors."""

from fastapi import Request
from fastapi.responses import HTMLResponse

API_PATHS = ("/api/", "/openapi.json", "/docs", "/redoc")
ERROR_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    409: "操作与当前状态冲突",
    422: "填写的内容有误",
    429: "操作过于频繁",
    500: "服务器内部错误",
}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(API_PATHS)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    from service.web.render import render

    title = ERROR_TITLES.get(status_code, "出错了")
    return render(request, "error.html", {"status_code": status_code, "title": title, "message": message}, status_code)
