import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_seconds_per_mb_as_last_line():
    # The figure itself is read from the bench's output, not asserted here:
    # timings on a shared machine are too noisy for a pass/fail line.
    result = subprocess.run(
        [sys.executable, "bench/parse.py"], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(ROOT)},
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bytes"] >= 1_000_000
    assert figures["seconds"] > 0 and figures["seconds_per_mb"] > 0
    if Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists():
        assert figures["pdf_pages"] == 100 and figures["pdf_seconds"] > 0
