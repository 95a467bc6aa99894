"""`duban plan …` commands. `parse` needs no database; `import` will join it."""

import json
from pathlib import Path

import typer

from .parser import PlanParseError, parse_plan_file

plan_app = typer.Typer(help="行动计划 (plans): parse and import.", no_args_is_help=True)


@plan_app.callback()
def plan() -> None:
    """Work with plan documents."""


def _fail(message: str) -> None:
    typer.echo(f"错误 error: {message}", err=True)
    raise typer.Exit(code=2)


@plan_app.command()
def parse(file: Path = typer.Argument(..., help="计划文件 .txt/.md/.docx/.xlsx/.csv")) -> None:
    """Print the parsed plan as JSON, without touching a database."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        _fail(f"文件不存在 (file not found): {file}")
    except OSError as error:
        _fail(f"无法读取文件 (unreadable file): {file}: {error.strerror or error}")
    try:
        plan = parse_plan_file(data, file.name)
    except PlanParseError as error:
        _fail(f"{file}: {error}")
    typer.echo(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
