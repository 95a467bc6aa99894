"""The one way a `duban` command stops on bad input: exit code 2 and one line on stderr."""

from typing import NoReturn

import typer
from pydantic import ValidationError


def fail(message: str) -> NoReturn:
    typer.echo(f"duban: {message}", err=True)
    raise typer.Exit(2)


def describe_settings_error(exc: ValidationError) -> str:
    """`DUBAN_TIMEZONE: …` for the first bad environment variable."""
    error = exc.errors()[0]
    message = error.get("msg", "invalid value")
    if not error.get("loc"):  # a check across settings names its variables itself
        return message.removeprefix("Value error, ")
    name = "DUBAN_" + "_".join(str(part) for part in error.get("loc", ())).upper()
    return f"{name}: {message}"
