"""`duban plan …` commands: `parse` needs no database, `import` writes a draft plan."""

import json
from pathlib import Path

import typer

from service.cli_errors import fail

from .parser import PlanParseError, parse_plan_file

plan_app = typer.Typer(help="行动计划 (plans): parse and import.", no_args_is_help=True)


@plan_app.callback()
def plan() -> None:
    """Work with plan documents."""


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        fail(f"文件不存在 (file not found): {file}")
    except OSError as error:
        fail(f"无法读取文件 (unreadable file): {file}: {error.strerror or error}")


@plan_app.command()
def parse(file: Path = typer.Argument(..., help="计划文件 .txt/.md/.docx/.pdf/.xlsx/.csv")) -> None:
    """Print the parsed plan as JSON, without touching a database."""
    data = _read(file)
    try:
        plan = parse_plan_file(data, file.name)
    except PlanParseError as error:
        fail(f"{file}: {error}")
    typer.echo(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))


@plan_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="计划文件 .txt/.md/.docx/.pdf/.xlsx/.csv"),
    again: bool = typer.Option(False, "--again", help="文件已导入过时仍然导入 (import a document imported before)"),
) -> None:
    """Import a plan as a draft into the default office; print the preview as JSON."""
    from service.auth.actor import Actor
    from service.bootstrap import open_database
    from service.clock import SystemClock
    from service.config import get_settings
    from service.errors import DomainError
    from service.offices.service import ensure_default_office
    from service.flows.importing import ImportLimits, import_plan
    from service.plans.routes import PlanSummary

    data = _read(file)
    settings = get_settings()
    try:
        with open_database(settings) as session:
            office = ensure_default_office(session)
            result = import_plan(
                session, Actor.system(office.id), data=data, filename=file.name, now=SystemClock().now(),
                limits=ImportLimits.from_settings(settings), allow_duplicate=again,
            )
            plan = PlanSummary.model_validate(result.plan, from_attributes=True).model_dump(mode="json")
            output = {"plan": plan, "preview": result.preview.to_dict()}
    except DomainError as error:
        fail(f"{file}: {error.message}")
    typer.echo(json.dumps(output, ensure_ascii=False, indent=2))
