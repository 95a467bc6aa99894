"""Pages through HTTP with TestClient: login, CSRF, error pages, every page on a test world."""

from tests.factories import build_world


def test_pages_redirect_to_login_without_a_session(client_factory):
    response = client_factory().get("/?tab=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/%3Ftab%3D1"


def test_login_sets_a_http_only_samesite_cookie_and_logout_revokes_it(session, client_factory):
    build_world(session)
    client = client_factory().login("city_admin")
    cookie = client.cookies.get("duban_session")
    response = client.get("/")
    assert response.status_code == 200 and "督办总览" in response.text
    client.submit("/logout")
    client.cookies.set("duban_session", cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_flags(session, client_factory):
    build_world(session)
    client = client_factory()
    from tests.factories import PASSWORD

    response = client.post(
        "/login",
        data={"username": "city_admin", "password": PASSWORD, "csrf_token": client.csrf()},
        follow_redirects=False,
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("duban_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_wrong_password_is_refused_then_rate_limited(session, client_factory):
    build_world(session)
    client = client_factory()
    for _ in range(3):
        response = client.post("/login", data={"username": "city_admin", "password": "nope", "csrf_token": client.csrf()})
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    response = client.post("/login", data={"username": "city_admin", "password": "nope", "csrf_token": client.csrf()})
    assert response.status_code == 429 and "过于频繁" in response.text


def test_a_form_post_without_the_csrf_token_is_refused(session, client_factory):
    build_world(session)
    client = client_factory().login("city_admin")
    response = client.post("/logout")
    assert response.status_code == 403 and "CSRF" in response.text
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_unknown_path_renders_the_html_404_page_but_the_api_answers_json(client_factory):
    client = client_factory()
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.text
    assert client.get("/api/v1/no-such").json() == {"detail": "Not Found"}
