"""The `duban` command line: clear output, exit code 2 and one stderr line on bad input."""

import pytest
from typer.testing import CliRunner

from service import __version__
from service.cli import app
from service.config import get_settings


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"duban {__version__}"


def test_db_upgrade_and_user_create(cli_env):
    assert run("db", "upgrade").exit_code == 0
    created = run("user", "create", "boss", "--role", "admin", env={"DUBAN_PASSWORD": "boss-pass-1"})
    assert created.exit_code == 0, created.output
    assert "created user boss (admin)" in created.output
    again = run("user", "create", "boss", "--role", "admin", env={"DUBAN_PASSWORD": "boss-pass-1"})
    assert again.exit_code == 2 and "已被使用" in again.stderr


def test_user_create_makes_a_temporary_password_unless_no_change_required(cli_env):
    from sqlalchemy import select

    from service.auth.models import User
    from service.database import make_engine

    assert run("db", "upgrade").exit_code == 0
    person = run("user", "create", "clerk", "--role", "leader", env={"DUBAN_PASSWORD": "clerk-pass-1"})
    assert person.exit_code == 0 and "must be changed at first login" in person.output
    robot = run("user", "create", "robot", "--role", "leader", "--no-change-required",
                env={"DUBAN_PASSWORD": "robot-pass-1"})
    assert robot.exit_code == 0 and "must be changed" not in robot.output
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        forced = dict(connection.execute(select(User.username, User.must_change_password)).all())
    engine.dispose()
    assert forced == {"clerk": True, "robot": False}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("user", "create", "x", "--role", "emperor"), {"DUBAN_PASSWORD": "long-enough"}, "role must be one of"),
        (("user", "create", "x", "--role", "admin"), {"DUBAN_PASSWORD": "short"}, "至少需要"),
        (("user", "create", "x", "--role", "department", "--department", "无此单位"), {"DUBAN_PASSWORD": "long-enough"}, "no department"),
    ],
)
def test_bad_user_input_exits_2_with_one_line(cli_env, args, env, message):
    result = run(*args, env=env)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DUBAN_TIMEZONE", "Mars/Base", "DUBAN_TIMEZONE"),
        ("DUBAN_SMTP_SECURITY", "tls", "DUBAN_SMTP_SECURITY"),
        ("DUBAN_SEND_HOUR", "25", "DUBAN_SEND_HOUR"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(tmp_path, variable, value, message):
    import os
    import subprocess
    import sys

    env = os.environ | {"DUBAN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", "tick"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_serve_links_follow_its_host_and_port_unless_the_base_url_is_set(monkeypatch):
    from service.cli import served_settings
    from service.config import Settings

    monkeypatch.delenv("DUBAN_BASE_URL", raising=False)
    assert served_settings(Settings(), "127.0.0.1", 9000).base_url == "http://127.0.0.1:9000"
    assert served_settings(Settings(), "::1", 9000).base_url == "http://[::1]:9000"
    assert ":8000" not in served_settings(Settings(), "0.0.0.0", 8080).base_url
    monkeypatch.setenv("DUBAN_BASE_URL", "https://duban.example.gov.cn")
    assert served_settings(Settings(), "0.0.0.0", 8080).base_url == "https://duban.example.gov.cn"
