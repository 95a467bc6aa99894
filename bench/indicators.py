"""Indicator speed: reading the indicators out of every seed's text, and the
plan page's query (each indicator's latest reading, progress and pace) for a
plan with INDICATORS indicators of READINGS readings each. SQLite in a
temporary directory.

The last line is one JSON object.
"""

import json
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import scratch_session  # noqa: E402
from service.auth.actor import Actor  # noqa: E402
from service.indicators import service  # noqa: E402
from service.indicators.models import Indicator, IndicatorReading  # noqa: E402
from service.offices.service import ensure_default_office  # noqa: E402
from service.plans.parser import parse_plan_text  # noqa: E402
from service.flows.plan_creation import create_plan_from_parsed  # noqa: E402

SEEDS = sorted((Path(__file__).resolve().parent.parent / "tests" / "data" / "seeds").glob("*.txt"))
INDICATORS, READINGS, ROUNDS = 200, 50, 20
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


def parse_seeds() -> tuple[int, float]:
    texts = [seed.read_text(encoding="utf-8") for seed in SEEDS]
    parse_plan_text(texts[0])  # load the conversion dictionaries outside the timing
    started = time.perf_counter()
    found = sum(len(parse_plan_text(text).indicators) for text in texts)
    return found, time.perf_counter() - started


def plan_page_query() -> float:
    with scratch_session() as session:
        office = ensure_default_office(session)
        actor = Actor.system(office.id)
        plan = create_plan_from_parsed(
            session, actor, {"title": "指标测试计划", "phases": [{"name": "完成", "deadline": "2030-12-31"}]}, now=NOW
        ).plan
        rows = [
            Indicator(plan_id=plan.id, position=n, name=f"指标{n}", unit="件", comparison="at_least",
                      target_value=1000, text=f"指标{n}达到1000件")
            for n in range(INDICATORS)
        ]
        session.add_all(rows)
        session.flush()
        session.add_all(
            IndicatorReading(indicator_id=row.id, value=10 * r, as_of=date(2027, 1, 1) + timedelta(days=7 * r),
                             created_at=NOW)
            for row in rows for r in range(READINGS)
        )
        session.commit()
        started = time.perf_counter()
        for _ in range(ROUNDS):
            plan, indicators = service.list_indicators(session, actor, plan.id)
            statuses = service.statuses(session, plan, indicators)
        elapsed = (time.perf_counter() - started) / ROUNDS
        assert len(statuses) == INDICATORS and statuses[0].latest.value == 10 * (READINGS - 1)
    return elapsed


def main() -> None:
    found, parse_seconds = parse_seeds()
    page_seconds = plan_page_query()
    print(f"{found} indicators from {len(SEEDS)} seeds in {parse_seconds:.3f} s (whole plans parsed); "
          f"{INDICATORS} indicators × {READINGS} readings listed with progress in {page_seconds * 1000:.1f} ms")
    print(json.dumps({
        "seeds": len(SEEDS),
        "indicators_found": found,
        "parse_seconds": round(parse_seconds, 4),
        "indicators": INDICATORS,
        "readings_each": READINGS,
        "list_with_progress_ms": round(page_seconds * 1000, 2),
    }))


if __name__ == "__main__":
    main()
