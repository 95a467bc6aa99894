"""Headers that keep pages from being framed or sniffed, a Content-Security-Policy
of 'self' on every response, and an API documentation page that works offline."""

import re
from html.parser import HTMLParser

from service.resources import resource_dir

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_protected(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_every_kind_of_response_carries_the_headers(client):
    for path in ("/login", "/api/v1/ping", "/api/v1/plans", "/static/duban.css", "/no-such-page", "/docs",
                 "/openapi.json", "/m/not-a-token"):
        assert_protected(client.get(path))
    too_big = client.post("/api/v1/plans/import", content=b"x", headers={"content-length": str(10**10)})
    assert too_big.status_code == 413
    assert_protected(too_big)


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[a] for a in ("src", "href") if attrs.get(a)]
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1


def test_the_api_docs_load_nothing_from_outside(client):
    page = client.get("/docs")
    assert page.status_code == 200
    found = _References()
    found.feed(page.text)
    assert found.inline_scripts == 0
    assert found.urls and all(url.startswith("/") and not url.startswith("//") for url in found.urls), found.urls
    for url in found.urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
    # ReDoc's page would load its fonts from a CDN: not offered.
    assert client.get("/redoc").status_code == 404


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_no_template_has_inline_script_or_outside_references():
    for template in sorted((resource_dir("templates") / "web").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_HANDLER, INLINE_SCRIPT, EXTERNAL):
            assert not pattern.search(text), (template.name, pattern.search(text).group(0))
