"""The `duban` command line. Bad input: exit code 2 and one line on stderr."""

import getpass
import os
import sys
from typing import Optional

import typer

from service import __version__
from service.cli_errors import fail
from service.config import get_settings
from service.plans.cli import plan_app

app = typer.Typer(
    help="Duban 督办: task assignment and reminders for leading-group offices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
holidays_app = typer.Typer(help="The national holiday schedule (节假日安排), the operator's.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
office_app = typer.Typer(help="Offices (the deployment's operator).", no_args_is_help=True)
app.add_typer(office_app, name="office")
app.add_typer(holidays_app, name="holidays")
app.add_typer(plan_app, name="plan", help="Action plans: parse and import.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"duban {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    pass


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    from service.migrate import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"database at head: {settings.database_url}")


@user_app.command("create")
def user_create(
    username: str,
    role: str = typer.Option(..., help="admin, department, leader or operator (the deployment's)"),
    department: Optional[str] = typer.Option(None, help="Department name (for role department)"),
    office: Optional[str] = typer.Option(None, help="Office name; the default office when left out"),
    no_change_required: bool = typer.Option(
        False, "--no-change-required",
        help="The password stays valid as given (service accounts of integrations); "
        "otherwise the user must change it at first login.",
    ),
) -> None:
    """Create a user; the password comes from DUBAN_PASSWORD or a prompt."""
    from service.bootstrap import open_database
    from service.auth.actor import Actor
    from service.auth.service import create_user
    from service.clock import SystemClock
    from service.departments.service import find_department
    from service.errors import DomainError
    from service.offices.service import ensure_default_office, find_office

    from service.auth.models import ROLE_OPERATOR, ROLES

    if role not in ROLES:
        fail(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    password = os.environ.get("DUBAN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            fail("no password: set DUBAN_PASSWORD or run in a terminal to be asked")
        password = getpass.getpass("password: ")
    with open_database(get_settings()) as session:
        found_office = ensure_default_office(session) if office is None else find_office(session, office)
        if found_office is None:
            fail(f"no office named {office!r}")
        office = found_office
        department_id = None
        if department is not None:
            found = find_department(session, office.id, department)
            if found is None:
                fail(f"no department named {department!r}")
            department_id = found.id
        # Whoever runs the command line operates the deployment.
        actor = Actor.deployment(office.id) if role == ROLE_OPERATOR else Actor.system(office.id)
        try:
            user = create_user(
                session, actor, username=username, password=password, role=role,
                department_id=department_id, must_change_password=not no_change_required, now=SystemClock().now(),
            )
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"created user {user.username} ({user.role})")
        if user.must_change_password:
            typer.echo("the password is temporary: it must be changed at first login")


@office_app.command("create")
def office_create(
    name: str,
    parent: Optional[str] = typer.Option(None, help="The parent office's name"),
) -> None:
    """Create an office, as the deployment's operator, below PARENT if given."""
    from service.auth.actor import Actor
    from service.bootstrap import open_database
    from service.clock import SystemClock
    from service.errors import DomainError
    from service.offices.service import create_office, ensure_default_office, find_office

    with open_database(get_settings()) as session:
        parent_id = None
        if parent is not None:
            found = find_office(session, parent)
            if found is None:
                fail(f"no office named {parent!r}")
            parent_id = found.id
        actor = Actor.deployment(ensure_default_office(session).id)
        try:
            created = create_office(session, actor, name, parent_id, now=SystemClock().now())
        except DomainError as exc:
            fail(exc.message)
        typer.echo(f"created office {created.name}" + (f" under {parent}" if parent else ""))


@holidays_app.command("set")
def holidays_set(
    year: int = typer.Argument(..., help="The year the schedule is for"),
    source: str = typer.Argument(..., help="File with the State Council's notice text or "
                                           "`2027-01-01,holiday,元旦` lines; - for standard input"),
) -> None:
    """Replace the year's national holidays and make-up workdays, as the operator;
    every office's audit log records it and reminders are re-timed on the next scan."""
    from pathlib import Path

    from service.auth.actor import Actor
    from service.bootstrap import open_database
    from service.clock import SystemClock
    from service.errors import DomainError
    from service.flows.calendar import replace_year
    from service.holidays.service import entries_from_text
    from service.offices.service import ensure_default_office

    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{source} is not UTF-8 text")
    with open_database(get_settings()) as session:
        actor = Actor.deployment(ensure_default_office(session).id)
        try:
            replaced = replace_year(session, actor, year, entries_from_text(text, year), now=SystemClock().now())
        except DomainError as exc:
            fail(exc.message)
    typer.echo(f"{year}: {replaced.days} days entered, {replaced.changed} changed, "
               f"{replaced.retimed} open milestones to re-time on the next scan")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    no_scheduler: bool = typer.Option(
        False, "--no-scheduler", help="Serve only; no reminder scans, dispatching or bulletins."
    ),
) -> None:
    """Run the web UI, the REST API and the scheduler in one process."""
    import logging

    import uvicorn

    # The scheduler's scan and dispatch summaries are worth seeing in the service log.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from service.app import create_app
    from service.migrate import upgrade_database

    settings = served_settings(get_settings(), host, port)
    upgrade_database(settings.database_url)
    uvicorn.run(create_app(settings, start_scheduler=not no_scheduler), host=host, port=port)


def served_settings(settings, host: str, port: int):
    """Links in messages point where this server listens when DUBAN_BASE_URL is unset
    (a wildcard address by the machine's name, which other computers can reach)."""
    if "base_url" in settings.model_fields_set:
        return settings
    import socket

    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return settings.model_copy(update={"base_url": f"http://{shown}:{port}"})


@app.command()
def dispatch(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now, print a JSON summary and exit."),
) -> None:
    """Deliver due notifications (the scheduler does this every few seconds)."""
    import json

    from service.bootstrap import service_database
    from service.delivery.dispatcher import dispatch_once

    if not once:
        fail("only --once is supported; `duban serve` runs the dispatcher continuously")
    with service_database(get_settings()) as (session_factory, settings):
        summary = dispatch_once(session_factory, settings)
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def tick(
    now: Optional[str] = typer.Option(None, "--now", help="Scan as of this ISO-8601 instant (default: now)."),
) -> None:
    """Run one reminder scan and print its JSON summary (the scheduler does this every minute)."""
    import json
    from datetime import datetime, timezone

    from service.bootstrap import service_database
    from service.holidays.source import load_calendars
    from service.reminders.scan import run_scan

    instant = None
    if now is not None:
        try:
            instant = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not an ISO-8601 date-time")
        if instant.tzinfo is None:
            fail("--now needs a UTC offset, e.g. 2026-10-09T09:00:00+08:00")
        instant = instant.astimezone(timezone.utc)
    with service_database(get_settings()) as (session_factory, settings):
        with session_factory() as session:
            calendars = load_calendars(session, settings)
        summary = run_scan(session_factory, settings, calendars, instant)
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def backup(destination: str = typer.Argument(..., help="New file to write the copy to")) -> None:
    """Write a consistent copy of the SQLite database while the service runs."""
    from pathlib import Path

    from service.backup import BackupError, backup_sqlite, sqlite_path

    settings = get_settings()
    try:
        source = sqlite_path(settings.database_url)
        if source is None:
            fail("duban backup copies the embedded SQLite database; for PostgreSQL use pg_dump "
                 "(pg_dump -Fc -f duban.dump DBNAME, restore with pg_restore), see README")
        size = backup_sqlite(source, Path(destination))
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"backup written: {destination} ({size} bytes)")


@app.command()
def demo() -> None:
    """Fill the configured database with a demo office, departments, users and an active plan."""
    from service.demo import load_demo

    settings = get_settings()
    for line in load_demo(settings):
        typer.echo(line)


def main() -> None:
    from pydantic import ValidationError

    from service.auth.secrets import SecretKeyError
    from service.cli_errors import describe_settings_error
    from service.workdays import HolidayFileError

    # Configuration is read lazily inside the commands; a bad value is the
    # operator's input error like any other: one line, exit code 2.
    try:
        app()
    except ValidationError as exc:
        typer.echo(f"duban: bad configuration: {describe_settings_error(exc)}", err=True)
        raise SystemExit(2) from None
    except (HolidayFileError, SecretKeyError) as exc:
        typer.echo(f"duban: {exc}", err=True)
        raise SystemExit(2) from None
