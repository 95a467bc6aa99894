"""Import speed: the Guangzhou plan (61 measures, 47 names) into an office whose
directory already holds DIRECTORY_SIZE confirmed departments, so the cost of the
similarity suggestions shows. SQLite in a temporary directory.

The last line is one JSON object.
"""

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import scratch_session  # noqa: E402
from service.auth.actor import Actor  # noqa: E402
from service.departments.models import Department  # noqa: E402
from service.offices.service import ensure_default_office  # noqa: E402
from service.flows.importing import import_plan, preview_for  # noqa: E402

SEED = Path(__file__).resolve().parent.parent / "tests" / "data" / "seeds" / "003_36280e565d71b47e.txt"
DIRECTORY_SIZE = 1000
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


def main() -> None:
    data = SEED.read_bytes()
    with scratch_session() as session:
        office = ensure_default_office(session)
        session.add_all(
            Department(office_id=office.id, name=f"市第{n}工作委员会", aliases=[f"第{n}委"], created_at=NOW)
            for n in range(DIRECTORY_SIZE)
        )
        session.commit()
        actor = Actor.system(office.id)
        started = time.perf_counter()
        result = import_plan(session, actor, data=data, filename=SEED.name, now=NOW)
        imported = time.perf_counter() - started
        started = time.perf_counter()
        preview_for(session, actor, result.plan.id)
        previewed = time.perf_counter() - started
    names = len(result.preview.unmatched) + len(result.preview.matched)
    print(f"imported {len(data)} bytes, {result.preview.measures} measures, {names} names "
          f"against {DIRECTORY_SIZE} departments in {imported:.3f} s; preview again in {previewed:.3f} s")
    print(json.dumps({
        "directory_size": DIRECTORY_SIZE,
        "names": names,
        "import_seconds": round(imported, 4),
        "preview_seconds": round(previewed, 4),
    }))


if __name__ == "__main__":
    main()
