"""The benchmark data set, built by bulk inserts (never through the API).

    python bench/dataset.py --milestones 100000 --due-fraction 0.01 --database-url URL

One office with a few hundred departments; plans of 60 measures, each measure
one lead and two support departments over four phases (12 milestones a
measure); N milestones in all. Due dates spread over five years around the
bench's "now". `next_reminder_at` follows the reminder scan's semantics
(service/reminders/scan.py): the instant the scan must look at a milestone
again, NULL once nothing more is owed (submitted, approved). Exactly
round(F * N) open milestones have it at or before `now` (due dates within the
ladder's window around now, so the scan really sends); every other open
milestone has it in the future: 09:00 Shanghai time, roughly seven workdays
before its due date, or within the next days when that has passed.

Rows go in with COPY on PostgreSQL and DB-API executemany in chunks on SQLite
(values in the text forms SQLAlchemy's types store), foreign-key checks off for
the load. Ids are assigned here, so every row of every table is built
in Python first and the sequences are moved past them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.auth.models import ROLE_ADMIN, ROLE_DEPARTMENT, TOKEN_KIND_SESSION, User  # noqa: E402
from service.auth.passwords import hash_password  # noqa: E402
from service.auth.service import issue_token  # noqa: E402
from service.database import make_engine, make_session_factory, transaction  # noqa: E402
from service.departments.models import Department  # noqa: E402
from service.migrate import upgrade_database  # noqa: E402
from service.milestones.models import Milestone  # noqa: E402
from service.models import Base  # noqa: E402
from service.offices.models import Office  # noqa: E402
from service.plans.models import PLAN_ACTIVE, Assignment, Measure, Phase, Plan, Task  # noqa: E402

# Monday 09:00 in Shanghai: the instant every bench measures "due" against.
BENCH_NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
MEASURES_PER_PLAN = 60
PHASES = ((6, "前期准备阶段"), (18, "组织实施阶段"), (30, "深化推进阶段"), (42, "实施完成阶段"))
SUPPORTS_PER_MEASURE = 2
CHUNK = 20_000
SEND_HOUR_UTC = 1  # 09:00 Asia/Shanghai


@dataclass
class Dataset:
    url: str
    now: datetime
    milestones: int
    due: int
    office_id: int
    department_ids: list[int]
    plans: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def _send_instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, SEND_HOUR_UTC, tzinfo=timezone.utc)


def _month_end(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    first_next = date(start.year + year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _naive(value: datetime | None) -> datetime | None:
    """What UTCDateTime stores: naive UTC (COPY bypasses the type's bind processing)."""
    return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def _rows_for_milestones(n: int, due_fraction: float, now: datetime, department_ids: list[int], rng: random.Random,
                         offices: int = 1):
    """Plans, phases, tasks, measures, assignments and milestones as column dicts. With several
    offices, plan p belongs to office (p - 1) % offices + 1 and assigns only that office's
    departments (the department ids split into `offices` equal runs)."""
    per_office = len(department_ids) // offices
    today = now.date()
    n_due = round(n * due_fraction)
    due_ids = set(rng.sample(range(1, n + 1), n_due)) if n_due else set()
    per_plan = MEASURES_PER_PLAN * (1 + SUPPORTS_PER_MEASURE) * len(PHASES)
    n_plans = -(-n // per_plan)
    plans, phases, tasks, measures, assignments, milestones = [], [], [], [], [], []
    milestone_id = measure_id = assignment_id = 0
    for p in range(1, n_plans + 1):
        # Plans issued over five years: some finished, most running, some just started.
        issued = today - timedelta(days=rng.randrange(0, 5 * 365)) + timedelta(days=365)
        issued = min(issued, today)
        office_id = (p - 1) % offices + 1
        office_departments = department_ids[(office_id - 1) * per_office : office_id * per_office]
        plans.append({
            "id": p, "office_id": office_id, "title": f"基准测试行动计划第{p}号", "doc_number": f"测〔{issued.year}〕{p}号",
            "issuer": "基准测试领导小组", "issued_date": issued, "status": PLAN_ACTIVE,
            "created_at": _send_instant(issued), "activated_at": _send_instant(issued), "reporting_cycle": "none",
        })
        deadlines = []
        for position, (months, name) in enumerate(PHASES, start=1):
            deadline = _month_end(issued, months)
            deadlines.append((len(phases) + 1, deadline))
            phases.append({"id": len(phases) + 1, "plan_id": p, "position": position, "name": name, "deadline": deadline})
        tasks.append({"id": p, "plan_id": p, "position": 1, "number": "1", "title": "推进知识产权管理体制机制改革",
                      "mandatory": True})
        for position in range(1, MEASURES_PER_PLAN + 1):
            if milestone_id >= n:
                break
            measure_id += 1
            measures.append({"id": measure_id, "plan_id": p, "task_id": p, "position": position,
                             "text": f"第{position}项措施：完善知识产权保护协作机制，建立健全快速维权通道。"})
            chosen = rng.sample(office_departments, 1 + SUPPORTS_PER_MEASURE)
            for k, department_id in enumerate(chosen):
                if milestone_id >= n:
                    break
                assignment_id += 1
                role = "lead" if k == 0 else "support"
                assignments.append({"id": assignment_id, "measure_id": measure_id, "department_id": department_id,
                                    "role": role})
                for phase_id, deadline in deadlines:
                    if milestone_id >= n:
                        break
                    milestone_id += 1
                    due = deadline - timedelta(days=7 if role == "support" else 0)
                    milestones.append(_milestone(milestone_id, assignment_id, phase_id, p, department_id, due,
                                                 milestone_id in due_ids, now, rng))
    return {"plans": plans, "phases": phases, "tasks": tasks, "measures": measures,
            "assignments": assignments}, milestones, n_due


def _milestone(mid, assignment_id, phase_id, plan_id, department_id, due, is_due, now, rng) -> dict:
    today = now.date()
    created = now - timedelta(days=400)
    if is_due:
        # Due now: an open milestone whose ladder has a step today or whose last scan slipped by.
        due = today + timedelta(days=rng.randrange(-20, 11))
        state = rng.choice(("pending", "acknowledged", "acknowledged", "returned"))
        next_at = now - timedelta(minutes=rng.randrange(0, 24 * 60))
        submitted = None
    elif due < today - timedelta(days=30) and rng.random() < 0.85:
        state, next_at, submitted = "approved", None, now - timedelta(days=rng.randrange(31, 400))
    elif rng.random() < 0.1:
        state, next_at, submitted = "submitted", None, now - timedelta(days=rng.randrange(1, 30))
    else:
        state, submitted = rng.choice(("pending", "acknowledged", "acknowledged")), None
        next_at = _send_instant(due - timedelta(days=9))  # about seven workdays before
        if next_at <= now:
            next_at = _send_instant(today + timedelta(days=rng.randrange(1, 6)))
    return {
        "id": mid, "assignment_id": assignment_id, "phase_id": phase_id, "plan_id": plan_id,
        "department_id": department_id, "due_date": due, "due_version": 1, "state": state,
        "acknowledged_at": None if state == "pending" else created, "submitted_at": submitted,
        "approved_at": submitted if state == "approved" else None,
        "next_reminder_at": next_at, "created_at": created, "updated_at": created,
    }


def _copy_value(value):
    if isinstance(value, datetime):
        return _naive(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _copy(engine: Engine, table, rows: list[dict]) -> None:
    columns = [c.name for c in table.columns]
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            # Foreign-key triggers off for the load, as pg_restore --disable-triggers
            # does: every id is assigned here, consistent by construction.
            cursor.execute("SET session_replication_role = replica")
            with cursor.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in columns])
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value):
    """The text SQLAlchemy's SQLite types store (dates ISO, datetimes with microseconds, JSON)."""
    if isinstance(value, datetime):
        return _naive(value).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sqlite_insert(engine: Engine, table, rows: list[dict]) -> None:
    columns = [c.name for c in table.columns]
    statement = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Off for the load only (a pragma, so outside the transaction): every id is
        # assigned here, consistent by construction.
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("BEGIN IMMEDIATE")
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(statement, [[_sqlite_value(r.get(c)) for c in columns] for r in rows[start : start + CHUNK]])
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def _bulk(engine: Engine, table, rows: list[dict]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        _copy(engine, table, [{c.name: r.get(c.name) for c in table.columns} for r in rows])
    else:
        _sqlite_insert(engine, table, rows)


def _reset_sequences(engine: Engine) -> None:
    """Move PostgreSQL's id sequences past the ids assigned here."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if "id" not in table.columns:
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
            if sequence:
                conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'),
                             {"s": sequence})


def _analyze(engine: Engine) -> None:
    """Statistics, and on PostgreSQL the visibility map autovacuum would have set after
    the load: without it no index-only scan is planned, unlike on a running server."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def build(url: str, milestones: int, due_fraction: float, *, departments: int = 300, now: datetime = BENCH_NOW,
          seed: int = 20261102, offices: int = 1) -> Dataset:
    """Build the data set into an empty (or not yet created) database at `url`. With `offices`
    over 1, that many offices side by side, each with `departments` departments and every
    `offices`-th plan (office 1 is the one `issue_tokens` serves; `department_ids` are its)."""
    started = time.perf_counter()
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Milestone.__table__)):
                raise SystemExit(f"{url} already holds milestones; the bench builds into an empty database")
        rng = random.Random(seed)
        department_ids = list(range(1, departments * offices + 1))
        created = now - timedelta(days=500)
        _bulk(engine, Office.__table__, [
            {"id": o, "name": "基准测试领导小组办公室" + (f"{o:03d}" if o > 1 else ""), "parent_id": None,
             "created_at": created}
            for o in range(1, offices + 1)
        ])
        _bulk(engine, Department.__table__, [
            {"id": d, "office_id": (d - 1) // departments + 1, "name": f"基准测试单位{d:04d}", "aliases": [],
             "kind": "unit", "parent_id": None,
             "emails": [f"unit{d}@bench.example.cn"], "mobiles": [], "head_name": f"负责人{d}",
             "head_email": f"head{d}@bench.example.cn", "head_mobile": None, "confirmed": True, "created_at": created}
            for d in department_ids
        ])
        parents, rows, due = _rows_for_milestones(milestones, due_fraction, now, department_ids, rng, offices)
        for name, table in (("plans", Plan), ("phases", Phase), ("tasks", Task), ("measures", Measure),
                            ("assignments", Assignment)):
            _bulk(engine, table.__table__, parents[name])
        _bulk(engine, Milestone.__table__, rows)
        _reset_sequences(engine)
        _analyze(engine)
        counts = {name: len(parents[name]) for name in parents} | {"milestones": len(rows)}
        return Dataset(url, now, len(rows), due, 1, department_ids[:departments], len(parents["plans"]),
                       time.perf_counter() - started, counts)
    finally:
        engine.dispose()


def issue_tokens(url: str, department_ids: list[int], *, now: datetime = BENCH_NOW) -> tuple[str, dict[int, str]]:
    """An office session token (the web cookie) and one API token per given department."""
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        password_hash = hash_password("bench-password-1")
        with transaction(factory) as session:
            admin = User(office_id=1, username="bench_admin", password_hash=password_hash, role=ROLE_ADMIN, created_at=now)
            session.add(admin)
            session.flush()
            office_token = issue_token(session, admin, now=now, kind=TOKEN_KIND_SESSION,
                                       lifetime=timedelta(days=3650), name="bench")
            tokens = {}
            for d in department_ids:
                user = User(office_id=1, username=f"bench_dept_{d}", password_hash=password_hash,
                            role=ROLE_DEPARTMENT, department_id=d, created_at=now)
                session.add(user)
                session.flush()
                tokens[d] = issue_token(session, user, now=now, lifetime=timedelta(days=3650), name="bench")
        return office_token, tokens
    finally:
        engine.dispose()


@contextmanager
def scratch_session() -> Iterator:
    """A session on a freshly migrated temporary SQLite database, for benches
    that time service functions rather than a data set."""
    with fresh_database("sqlite") as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()


@contextmanager
def fresh_database(kind: str, *, keep: bool = False) -> Iterator[str]:
    """An empty database for one bench run: a temporary SQLite file, or a new
    PostgreSQL database on the server of DUBAN_BENCH_POSTGRES_URL (falling back
    to DUBAN_TEST_POSTGRES_URL), dropped afterwards unless `keep`."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="duban-bench-"))
        try:
            yield f"sqlite:///{directory / 'bench.db'}"
        finally:
            if not keep:
                shutil.rmtree(directory, ignore_errors=True)
        return
    server = os.environ.get("DUBAN_BENCH_POSTGRES_URL") or os.environ.get("DUBAN_TEST_POSTGRES_URL")
    if not server:
        raise SystemExit("--db postgres needs DUBAN_BENCH_POSTGRES_URL (or DUBAN_TEST_POSTGRES_URL)")
    admin_url = make_url(server)
    name = f"duban_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.01)
    parser.add_argument("--departments", type=int, default=300, help="per office")
    parser.add_argument("--offices", type=int, default=1)
    parser.add_argument("--database-url", required=True, help="an empty database (SQLite file or PostgreSQL)")
    args = parser.parse_args()
    data = build(args.database_url, args.milestones, args.due_fraction, departments=args.departments,
                 offices=args.offices)
    print(f"built {data.milestones} milestones ({data.due} due) in {data.seconds:.1f} s: {data.counts}")
    print(json.dumps({"milestones": data.milestones, "due": data.due, "build_s": round(data.seconds, 2)}))


if __name__ == "__main__":
    main()
