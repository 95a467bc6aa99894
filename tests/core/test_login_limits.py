"""The login limits count per client address as well as per user name: one
address cannot guess across accounts, and failures from one address do not lock
the real user out of a correct login from another. X-Forwarded-For names the
client only when the peer is a trusted proxy (DUBAN_TRUSTED_PROXIES)."""

import ipaddress

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth.service import client_address
from service.clock import FixedClock
from service.config import Settings
from tests.factories import NOW, PASSWORD
from tests.web.conftest import WebClient

ATTACKER, ELSEWHERE, PROXY = "203.0.113.7", "198.51.100.20", "10.0.0.2"
USERS = ["city_admin", "city_leader", "ip_user", "dev_user", "district_admin", "yuexiu_user", "other_admin", "sz_user"]


@pytest.fixture
def from_address(database_url, world):
    """A client of the app whose socket peer is `address`; `trusted` proxies as DUBAN_TRUSTED_PROXIES."""
    clients = []

    def make(address: str, trusted: str = "", client_class=TestClient) -> TestClient:
        settings = Settings(database_url=database_url, secret_key="test-secret", trusted_proxies=trusted)
        client = client_class(create_app(settings, clock=FixedClock(NOW)), client=(address, 40000))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def token(client: TestClient, username: str, password: str, **headers: str) -> int:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, headers=headers).status_code


def test_one_address_cannot_guess_across_accounts(from_address):
    attacker = from_address(ATTACKER)
    guesses = [token(attacker, USERS[n % len(USERS)], f"guess-{n}-xx") for n in range(12)]
    assert guesses == [401] * 10 + [429] * 2  # the default limit: 10 failures a minute
    # Every account's owner still logs in from elsewhere.
    elsewhere = from_address(ELSEWHERE)
    assert all(token(elsewhere, username, PASSWORD) == 200 for username in USERS)


def test_the_real_user_logs_in_from_another_address_while_guessed_at(from_address):
    attacker = from_address(ATTACKER)
    assert [token(attacker, "ip_user", f"guess-{n}-xx") for n in range(11)] == [401] * 10 + [429]
    assert token(attacker, "ip_user", PASSWORD) == 429  # the right password does not get through there
    assert token(from_address(ELSEWHERE), "ip_user", PASSWORD) == 200
    # A second guessing address gets one failure on the account under attack, then waits.
    second = from_address("203.0.113.8")
    assert [token(second, "ip_user", "guess-x-xx"), token(second, "ip_user", PASSWORD)] == [401, 429]
    assert token(second, "dev_user", PASSWORD) == 200  # and is not refused for other accounts


def test_forwarded_for_is_ignored_from_an_untrusted_peer(from_address):
    attacker = from_address(ATTACKER)
    guesses = [
        token(attacker, USERS[n % len(USERS)], f"guess-{n}-xx", **{"X-Forwarded-For": f"192.0.2.{n + 1}"})
        for n in range(11)
    ]
    assert guesses == [401] * 10 + [429]


def test_forwarded_for_is_honoured_from_a_trusted_proxy(from_address):
    proxy = from_address(PROXY, trusted="10.0.0.0/8, 2001:db8::1")
    guesses = [token(proxy, "ip_user", f"guess-{n}-xx", **{"X-Forwarded-For": ATTACKER}) for n in range(11)]
    assert guesses == [401] * 10 + [429]
    # A value the attacker writes in front of the header is not believed.
    assert token(proxy, "dev_user", "guess-xx", **{"X-Forwarded-For": f"{ELSEWHERE}, {ATTACKER}"}) == 429
    # Others behind the same proxy are not the attacker.
    assert token(proxy, "ip_user", PASSWORD, **{"X-Forwarded-For": ELSEWHERE}) == 200


def test_the_web_login_form_counts_per_address(from_address):
    attacker = from_address(ATTACKER, client_class=WebClient)
    statuses = [
        attacker.post("/login", data={"username": USERS[n % len(USERS)], "password": "nope-nope", "csrf_token": attacker.csrf()})
        .status_code
        for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    from_address(ELSEWHERE, client_class=WebClient).login("city_admin")


def test_the_password_change_form_counts_per_address(from_address):
    office_pc = from_address(ATTACKER, client_class=WebClient).login("ip_user")
    guesser = from_address(ATTACKER)  # another machine behind the same address, guessing at other accounts
    assert [token(guesser, USERS[n % 3], "guess-xx") for n in range(10)] == [401] * 10
    wrong = {"current_password": "nope-nope-1", "new_password": "new-password-77", "confirm_password": "new-password-77"}
    assert office_pc.submit("/account", wrong, page="/account").status_code == 429
    elsewhere = from_address(ELSEWHERE, client_class=WebClient).login("ip_user")
    assert elsewhere.submit("/account", wrong, page="/account").status_code == 403


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.7", [], [], "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.20"], [], "203.0.113.7"),
    ("10.0.0.2", ["198.51.100.20"], ["10.0.0.0/8"], "198.51.100.20"),
    ("10.0.0.2", ["1.2.3.4, 198.51.100.20"], ["10.0.0.0/8"], "198.51.100.20"),
    ("10.0.0.2", ["1.2.3.4, 198.51.100.20, 10.0.0.9"], ["10.0.0.0/8"], "198.51.100.20"),
    ("10.0.0.2", ["1.2.3.4", "198.51.100.20"], ["10.0.0.0/8"], "198.51.100.20"),
    ("10.0.0.2", ["not-an-address"], ["10.0.0.0/8"], "10.0.0.2"),
    ("2001:db8::1", ["2001:db8:1::5"], ["2001:db8::1"], "2001:db8:1::5"),
])
def test_client_address(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, [ipaddress.ip_network(t) for t in trusted]) == expected


def test_trusted_proxies_setting_refuses_what_is_no_address():
    with pytest.raises(ValueError, match="DUBAN_TRUSTED_PROXIES|CIDR"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.internal")
