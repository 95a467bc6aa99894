import json

import pytest
from typer.testing import CliRunner

from service.plans.cli import plan_app

from .conftest import seed_path

runner = CliRunner()


def test_parse_prints_the_plan_as_json():
    result = runner.invoke(plan_app, ["parse", str(seed_path("003"))])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert len(plan["tasks"]) == 17
    assert "牽頭" not in result.stdout.split('"lead"')[1][:40]  # names are simplified
    assert "\\u" not in result.stdout  # ensure_ascii=False


@pytest.mark.parametrize(
    "name, content",
    [
        ("missing.txt", None),
        ("empty.txt", b""),
        ("binary.txt", bytes(range(256)) * 8),
        ("prose.txt", "这只是一段普通的文字。".encode()),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(plan_app, ["parse", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_directory_is_unreadable(tmp_path):
    result = runner.invoke(plan_app, ["parse", str(tmp_path)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
