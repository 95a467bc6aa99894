"""Pages speak Chinese to people: every page reachable from the navigation, as every
role, on the demo data, shows no English words, snake_case names, raw ids, ISO
timestamps or Python literals in its visible text."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from service.auth.models import User
from service.bootstrap import service_database
from service.demo import ADMIN_USERNAME, DEMO_PASSWORD, LEADER_USERNAME
from tests.web.conftest import WebClient
from tests.web.test_demo_pages import DEPARTMENT_USERNAME, demo  # noqa: F401 (the shared demo fixture)

# Words a Chinese office user reads as words: product and file-format names, units.
ALLOWED_WORDS = {
    "Excel", "Word", "PDF", "API", "WeCom", "xlsx", "docx", "csv", "CSV", "KB", "MB", "URL", "HTTP", "HTTPS",
    "Webhook", "Outlook",
}
# Visible text that is data, not interface: e-mail addresses, addresses, a login name labelled as one.
DATA = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|https?://\S+|用户名：\w+")
ENGLISH = re.compile(r"(?<![\w@.])[A-Za-z][A-Za-z]{2,}(?![\w@])")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
RAW_ID = re.compile(r"(节点|措施|单位|计划|用户|通知|#) ?\d{2,}\b")
LITERALS = re.compile(r"\b(None|True|False|null)\b")
SKIP = re.compile(r"^/(logout|static/|api/|docs|openapi|redoc)|/export|\.xlsx|\.csv|/download|/attachments/")
PAGE_LIMIT = 120


class _Visible(HTMLParser):
    """The text a reader sees, plus titles, placeholders and button labels, and the links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def problems(text: str, usernames: set[str]) -> list[str]:
    text = DATA.sub(" ", text)
    found = [m.group(0) for pattern in (SNAKE, ISO_TIME, RAW_ID, LITERALS) for m in pattern.finditer(text)]
    found += [w for w in ENGLISH.findall(text) if w not in ALLOWED_WORDS and w not in usernames]
    return found


def crawl(client: WebClient, start: list[str], usernames: set[str]) -> dict[str, list[str]]:
    seen, queue, report = set(), list(start), {}
    while queue and len(seen) < PAGE_LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Visible()
        parser.feed(response.text)
        # Login names are data where accounts are managed; the audit names people by name.
        bad = problems(" ".join(parser.text), set() if path.startswith("/audit") else usernames)
        if bad:
            report[path] = sorted(set(bad))
        for href in parser.links:
            parts = urlsplit(urldefrag(href)[0])
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            # One page of each list is enough: pagination and filters repeat the same words.
            if re.search(r"[?&]page=[2-9]", link):
                continue
            if link not in seen:
                queue.append(link)
    return report


@pytest.mark.parametrize("username", [ADMIN_USERNAME, LEADER_USERNAME, DEPARTMENT_USERNAME])
def test_every_page_speaks_chinese(demo, username):  # noqa: F811
    app, *_ = demo
    with service_database(app.state.settings) as (session_factory, _), session_factory() as session:
        usernames = set(session.scalars(select(User.username)))
    client = WebClient(app).login(username, DEMO_PASSWORD)
    report = crawl(client, ["/", "/account", "/inbox", "/notifications", "/audit"], usernames)
    assert report == {}


def test_the_checker_finds_what_it_should():
    found = problems("状态 reassigned 节点 767 must_change_password 2026-11-30T03:50:00 None Excel 导出", set())
    assert found == ["must_change_password", "2026-11-30T03:50", "节点 767", "None", "reassigned", "None"]
