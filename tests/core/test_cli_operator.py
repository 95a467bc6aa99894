"""The deployment's operator on the command line: `duban user create --role
operator` and `duban holidays set YEAR FILE|-`, recorded for every office."""

from datetime import date

from sqlalchemy import select

from service.audit.models import AuditEvent
from service.auth.models import User
from service.database import make_engine
from service.holidays.models import CalendarDay
from tests.core.test_cli import cli_env, run  # noqa: F401 (the fixture)

NOTICE = ("国务院办公厅关于2027年部分节假日安排的通知\n"
          "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n")


def _rows(statement):
    from service.config import get_settings

    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    engine.dispose()
    return rows


def test_operator_account_and_holidays_from_a_file_and_stdin(cli_env, tmp_path):  # noqa: F811
    created = run("user", "create", "ops", "--role", "operator", env={"DUBAN_PASSWORD": "ops-pass-123"})
    assert created.exit_code == 0 and "created user ops (operator)" in created.output
    assert _rows(select(User.username, User.role)) == [("ops", "operator")]

    notice = tmp_path / "notice.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    done = run("holidays", "set", "2027", str(notice))
    assert done.exit_code == 0 and done.output.startswith("2027: 3 days entered"), done.output
    piped = run_with_input(["holidays", "set", "2027", "-"], "2027-01-01,holiday,元旦\n")
    assert piped.exit_code == 0 and "1 days entered, 2 changed" in piped.output, piped.output
    assert _rows(select(CalendarDay.day)) == [(date(2027, 1, 1),)]
    # Deployment-wide: filed under no office, so every office's log shows them.
    assert _rows(select(AuditEvent.action, AuditEvent.office_id)) == [
        ("user.create", 1), ("calendar.replace_year", None), ("calendar.replace_year", None)]


def run_with_input(args, text):
    from typer.testing import CliRunner

    from service.cli import app

    return CliRunner().invoke(app, args, input=text)


def test_bad_holiday_input_is_one_line_and_exit_2(cli_env, tmp_path):  # noqa: F811
    missing = run("holidays", "set", "2027", str(tmp_path / "none.txt"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("2028-01-01,holiday,元旦\n", encoding="utf-8")
    outside = run("holidays", "set", "2027", str(wrong))
    assert outside.exit_code == 2 and "不在 2027 年内" in outside.stderr
    assert run("holidays", "set", "1999", str(wrong)).exit_code == 2
