"""One reminder scan over a large data set, against the hand-written SQL.

    python bench/scan.py --milestones 1000000 --due-fraction 0.01 --db sqlite|postgres [--repeat 3] [--profile]
    python bench/scan.py --milestones 100000 --due 10000 ...   (same due rows, a tenth of the table)

Builds the data set (bench/dataset.py) into a fresh database, then times
`service.reminders.scan.scan` as of the bench's "now" (each run in its own
transaction, rolled back so that every run sees the same due rows), and the
hand-written SQL that selects the same due rows with what the messages need
(the same joins, fetched in full), and that SELECT followed by the scan's own
writes done by hand: the very ledger and outbox rows the scan wrote (captured
before its rollback) in one executemany each, and the due milestones' next
time in one UPDATE; and the scan's own read of the due rows alone. Medians of
--repeat runs. The last line is {"milestones", "due", "scan_s", "sql_s",
"ratio", "sql_writes_s", "ratio_writes", "read_s", "ratio_read", "scan_cpu_s",
"sql_writes_cpu_s", "ratio_writes_cpu"}; ratio =
scan_s / sql_s (the reminders issue's yardstick), ratio_writes = scan_s /
sql_writes_s, ratio_read = read_s / sql_s (the scan's query layer against the
hand-written SELECT); the *_cpu figures are this process's CPU time, which
on SQLite is the whole work and holds while other processes load the machine.
--profile prints where the scan's time goes (cProfile).

PostgreSQL needs DUBAN_BENCH_POSTGRES_URL (or DUBAN_TEST_POSTGRES_URL): the
bench creates and drops its own database on that server.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import build, fresh_database  # noqa: E402
from service.config import Settings  # noqa: E402
from service.database import UTCDateTime, make_engine, make_session_factory  # noqa: E402
from service.delivery.models import Notification  # noqa: E402
from service.holidays.source import load_calendars  # noqa: E402
from service.milestones.models import Milestone  # noqa: E402
from service.reminders.models import SentReminder  # noqa: E402
from service.reminders.scan import MAX_MILESTONES_PER_SCAN, _load_due, scan  # noqa: E402

# What the scan's _load_due asks for, written by hand: due milestones with
# plan, department, measure text, role and phase name, oldest first.
DUE_ROWS_SQL = """
SELECT m.*, p.title, p.office_id, p.status, p.activated_at, d.name, d.emails, d.head_email, d.head_mobile,
       ms.text, a.role, ph.name
FROM milestones m
JOIN plans p ON p.id = m.plan_id
JOIN departments d ON d.id = m.department_id
JOIN assignments a ON a.id = m.assignment_id
JOIN measures ms ON ms.id = a.measure_id
LEFT JOIN phases ph ON ph.id = m.phase_id
WHERE m.next_reminder_at <= :now
ORDER BY m.next_reminder_at
LIMIT :limit
"""
# Bound as the column's own type, so SQLite compares the same text form it stores.
DUE_ROWS = text(DUE_ROWS_SQL).bindparams(bindparam("now", type_=UTCDateTime))


class Clock:
    """Wall time and this process's CPU time of a block. On SQLite the whole scan
    runs in this process, so its CPU time holds on a machine others are loading;
    on PostgreSQL the server's share is not in it."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_sql(engine, now) -> tuple[float, int]:
    with engine.connect() as conn:
        started = time.perf_counter()
        rows = conn.execute(DUE_ROWS, {"now": now, "limit": MAX_MILESTONES_PER_SCAN}).all()
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed, len(rows)


def time_scan_read(factory, now) -> float:
    """The scan's own read of the due rows (its first step, as it runs it: ORM
    query, row locks, plans and departments), against which the hand-written
    SELECT shows what the query layer costs."""
    with factory() as session:
        started = time.perf_counter()
        _load_due(session, now, MAX_MILESTONES_PER_SCAN)
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def time_sql_with_writes(engine, now, written: dict) -> Clock:
    """The SELECT, then the scan's writes by hand: its ledger and outbox rows as
    they were, one executemany each, and one UPDATE of the due rows' next time."""
    ledger, outbox = SentReminder.__table__, Notification.__table__
    milestones = Milestone.__table__
    with engine.connect() as conn:
        with Clock() as clock:
            rows = conn.execute(DUE_ROWS, {"now": now, "limit": MAX_MILESTONES_PER_SCAN}).all()
            if written["ledger"]:
                conn.execute(insert(ledger), written["ledger"])
            if written["outbox"]:
                conn.execute(insert(outbox), written["outbox"])
            ids = [row[0] for row in rows]
            for start in range(0, len(ids), 5000):
                conn.execute(update(milestones).where(milestones.c.id.in_(ids[start : start + 5000]))
                             .values(next_reminder_at=now + timedelta(days=1)))
        conn.rollback()
    return clock


def _written(session) -> dict:
    """The ledger and outbox rows a scan wrote (in its uncommitted transaction), without ids."""
    def rows(table):
        return [{k: v for k, v in row._mapping.items() if k != "id"}
                for row in session.execute(select(table).order_by(table.c.id))]

    return {"ledger": rows(SentReminder.__table__), "outbox": rows(Notification.__table__)}


def time_scan(factory, settings, calendar, now, profiler: cProfile.Profile | None = None) -> tuple[Clock, dict, dict]:
    with factory() as session:
        with Clock() as clock:
            if profiler:
                profiler.enable()
            summary = scan(session, settings, calendar, now)
            session.flush()
            if profiler:
                profiler.disable()
        written = _written(session)
        session.rollback()
    return clock, summary, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.01)
    parser.add_argument("--due", type=int, help="due milestones as a count (overrides --due-fraction)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--departments", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the scan's top functions by cumulative time")
    args = parser.parse_args()

    with fresh_database(args.db) as url:
        fraction = args.due / args.milestones if args.due is not None else args.due_fraction
        data = build(url, args.milestones, fraction, departments=args.departments)
        print(f"built {data.milestones} milestones, {data.due} due, in {data.seconds:.1f} s ({args.db})")
        settings = Settings(database_url=url, secret_key="bench-secret-key")
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as session:
            calendar = load_calendars(session, settings)
        try:
            sql_times, scan_times, write_times, read_times = [], [], [], []
            for run in range(args.repeat):
                elapsed, fetched = time_sql(engine, data.now)
                sql_times.append(elapsed)
                read_times.append(time_scan_read(factory, data.now))
                profiler = cProfile.Profile() if args.profile and run == args.repeat - 1 else None
                scanned, summary, written = time_scan(factory, settings, calendar, data.now, profiler)
                scan_times.append(scanned)
                write_times.append(time_sql_with_writes(engine, data.now, written))
                print(f"run {run + 1}: sql {elapsed:.3f} s ({fetched} rows), scan's read {read_times[-1]:.3f} s, "
                      f"sql + writes {write_times[-1].wall:.3f} s (CPU {write_times[-1].cpu:.3f} s), "
                      f"scan {scanned.wall:.3f} s (CPU {scanned.cpu:.3f} s; {summary['milestones']} milestones, "
                      f"{summary['reminders']} reminders, {summary['notifications']} notifications)")
                if profiler:
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
                    print(out.getvalue())
        finally:
            engine.dispose()
    sql_s, read_s = statistics.median(sql_times), statistics.median(read_times)
    scan_s, writes_s = (statistics.median(c.wall for c in clocks) for clocks in (scan_times, write_times))
    scan_cpu, writes_cpu = (statistics.median(c.cpu for c in clocks) for clocks in (scan_times, write_times))
    print(json.dumps({"milestones": data.milestones, "due": data.due, "scan_s": round(scan_s, 4),
                      "sql_s": round(sql_s, 4), "ratio": round(scan_s / sql_s, 2),
                      "sql_writes_s": round(writes_s, 4), "ratio_writes": round(scan_s / writes_s, 2),
                      "read_s": round(read_s, 4), "ratio_read": round(read_s / sql_s, 2),
                      # This process's CPU seconds (the whole work on SQLite, the client's share on PostgreSQL).
                      "scan_cpu_s": round(scan_cpu, 4), "sql_writes_cpu_s": round(writes_cpu, 4),
                      "ratio_writes_cpu": round(scan_cpu / writes_cpu, 2),
                      "db": args.db, "build_s": round(data.seconds, 1)}))


if __name__ == "__main__":
    main()
