"""The one way a `duban` command stops on bad input: exit code 2 and one line on stderr."""

from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    typer.echo(f"duban: {message}", err=True)
    raise typer.Exit(2)
