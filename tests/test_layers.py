"""The layer contract of .importlinter (ARCHITECTURE.md) is kept, covers every module,
and breaks on an upward import."""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
PACKAGES = ("service", "notifiers")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache", str(root / ".importlinter")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )


def declared_layer_modules() -> set[str]:
    config = configparser.ConfigParser()
    config.read(CONFIG, encoding="utf-8")
    modules = set()
    for line in config["importlinter:contract:layers"]["layers"].split("\n"):
        modules.update(name.strip().strip("()") for name in line.split(":") if name.strip())
    return modules


def test_the_layer_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_is_in_a_layer():
    """A module in no layer would escape the contract; a package without code needs none."""
    layers = declared_layer_modules()
    graph = grimp.build_graph(*PACKAGES)
    undeclared = [
        module for module in sorted(graph.modules)
        if not any(module == layer or module.startswith(layer + ".") for layer in layers)
        and not any(child.startswith(module + ".") for child in layers)
    ]
    assert undeclared == []


@pytest.mark.parametrize(("importer", "imported"), [
    ("service/plans/models.py", "service.milestones.models"),  # a domain importing a higher domain
    ("service/milestones/service.py", "service.flows"),  # a domain importing the flows
    ("notifiers/base.py", "service.delivery.models"),  # the platform importing a domain
])
def test_an_upward_import_breaks_the_contract(tmp_path, importer, imported):
    for name in (*PACKAGES, ".importlinter"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    module = tmp_path / importer
    module.write_text(module.read_text(encoding="utf-8") + f"\nimport {imported}  # noqa\n", encoding="utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert f"is not allowed to import {imported}" in result.stdout
