"""The wheel carries everything a non-editable install needs at run time."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_templates_migrations_static_files_and_the_demo_plan(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("duban-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "service/web/static/duban.css",
        "service/web/static/favicon.svg",
        "service/web/static/duban.js",
        "service/templates/web/base.html",
        "service/templates/messages/_macros.j2",
        "service/migrations/env.py",
        "notifiers/base.py",
    ):
        assert needed in names, needed
    assert any(n.startswith("service/migrations/versions/0001_") for n in names)
    assert any(n.startswith("service/plans/demo/") and n.endswith(".txt") for n in names)
