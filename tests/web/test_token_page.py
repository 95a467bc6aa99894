"""The 用户 page's integration tokens: an admin issues one (shown once), sees it
listed with its account, creator, last use and expiry, and revokes it."""

from tests.factories import build_world


def test_admin_issues_sees_and_revokes_an_integration_token(session, client_factory):
    world = build_world(session)
    admin = client_factory().login("city_admin")
    issued = admin.submit("/tokens", {"user_id": str(world.users["ip_user"].id), "name": "OA 系统对接", "days": ""},
                          page="/users")
    assert issued.status_code == 200 and "长期有效" in issued.text
    raw = issued.text.split("data-token-value")[0].rsplit('value="', 1)[1].split('"')[0]
    api = client_factory()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json()["username"] == "ip_user"

    page = admin.get("/users").text
    row = page.split('data-token="')[1].split("</tr>")[0]
    assert "OA 系统对接" in row and "ip_user" in row and "city_admin" in row and raw not in page
    token_id = row.split('"')[0]
    revoked = admin.submit(f"/tokens/{token_id}/revoke", page="/users")
    assert "令牌已吊销" in revoked.text
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_bad_token_form_says_what_is_wrong_and_others_cannot_issue(session, client_factory):
    world = build_world(session)
    admin = client_factory().login("city_admin")
    answer = admin.submit("/tokens", {"user_id": str(world.users["ip_user"].id), "name": " ", "days": "0"},
                          page="/users")
    assert "请填写令牌用途" in answer.text
    # Another office's account: as if it did not exist.
    stranger = admin.submit("/tokens", {"user_id": str(world.users["sz_user"].id), "name": "x"}, page="/users")
    assert stranger.status_code == 404
    leader = client_factory().login("city_leader")
    assert leader.submit("/tokens", {"user_id": str(world.users["ip_user"].id), "name": "x"},
                         page="/account").status_code == 403
