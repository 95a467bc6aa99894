"""Running real `duban` processes against the test database."""

import os
import subprocess
import sys
from pathlib import Path

DUBAN = str(Path(sys.executable).with_name("duban"))


def duban_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", **extra}


def start(args: list[str], database_url: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([DUBAN, *args], env=duban_env(database_url, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_together(commands: list[list[str]], database_url: str, timeout: float = 120) -> list[str]:
    """Start every command at once, wait for all; their stdout (each must exit 0)."""
    processes = [start(args, database_url) for args in commands]
    outputs = []
    for args, process in zip(commands, processes):
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"duban {' '.join(args)} exited {process.returncode}: {err[-2000:]}"
        outputs.append(out)
    return outputs
