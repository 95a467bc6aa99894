"""Parse speed: a ~1 MB plan made by repeating the Guangzhou plan's tasks.

Prints seconds per MB; the last line is one JSON object.
"""

import json
import re
import time
from pathlib import Path

from service.plans.parser import parse_plan_text

SEED = Path(__file__).resolve().parent.parent / "tests" / "data" / "seeds" / "003_36280e565d71b47e.txt"
TARGET_BYTES = 1_000_000


def build_plan() -> str:
    text = SEED.read_text(encoding="utf-8")
    head, rest = text.split("二、重大工程和重點任務\n", 1)
    tasks, tail = rest.split("三、實施步驟\n", 1)
    copies, number = [], 0

    def renumber(match: re.Match) -> str:
        nonlocal number
        number += 1
        return f"{number}."

    size = len((head + tail).encode())
    while size < TARGET_BYTES:
        copy = re.sub(r"(?m)^\d+\.", renumber, tasks)
        copies.append(copy)
        size += len(copy.encode())
    return f"{head}二、重大工程和重點任務\n{''.join(copies)}三、實施步驟\n{tail}"


def main() -> None:
    text = build_plan()
    size = len(text.encode())
    started = time.perf_counter()
    plan = parse_plan_text(text)
    seconds = time.perf_counter() - started
    per_mb = seconds / (size / 1_000_000)
    print(f"parsed {size} bytes, {len(plan.tasks)} tasks, {len(plan.all_measures())} measures")
    print(f"{per_mb:.3f} s per MB")
    print(json.dumps({"bytes": size, "seconds": round(seconds, 4), "seconds_per_mb": round(per_mb, 4)}))


if __name__ == "__main__":
    main()
