"""An app on the test database, and a browser-like client that logs in through /login."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.factories import NOW, PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient(TestClient):
    def csrf(self, path: str = "/login") -> str:
        # The last form on the page: the header's logout form would hide a broken one below it.
        return CSRF.findall(self.get(path).text)[-1]

    def login(self, username: str, password: str = PASSWORD) -> "WebClient":
        response = self.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf(), "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return self

    def submit(self, path: str, data: dict | None = None, *, page: str = "/", files=None, **kwargs):
        """Post a form the way a browser does: with the CSRF token of the page it came from."""
        return self.post(path, data={"csrf_token": self.csrf(page)} | (data or {}), files=files, **kwargs)

    def new_calendar_feed(self, department_id: int, page: str = "/inbox") -> str:
        """The path of a freshly generated calendar feed URL, as the page shows it once."""
        answer = self.submit(f"/departments/{department_id}/calendar-feed", page=page)
        assert answer.status_code == 200, answer.text
        url = answer.text.split('data-feed-url')[0].rsplit('value="', 1)[1].split('"')[0]
        return url[url.index("/calendar/"):]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def web_settings(database_url) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret", login_attempts_per_minute=3)


@pytest.fixture
def client_factory(session_factory, web_settings, clock) -> Callable[[], WebClient]:
    app = create_app(web_settings, clock=clock)
    return lambda: WebClient(app)
