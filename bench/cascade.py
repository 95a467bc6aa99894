"""The parent office's views when it issues down: CHILDREN child offices with ITEMS issued
督办件 each (one milestone per item), a tenth of them decomposed by the child into two of
its own bureaus. Times, over ROUNDS runs each, the dashboard's figures (lights, ranking of
the child offices among the units, the per-unit table of whom to chase), each child office's
share of a plan, and one issued measure's row per child office; then the city admin's
dashboard page `/` itself through the app (in process): a view with nothing changed since the
last one (`view_warm`), and the first view after one milestone changed (`view_after_change`).

    python bench/cascade.py [--db sqlite|postgres] [--children 20] [--items 700] [--rounds 20]

The last line is one JSON object.
"""

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bench.dataset import fresh_database  # noqa: E402
from service.auth.actor import Actor  # noqa: E402
from service.auth.models import ROLE_ADMIN  # noqa: E402
from service.database import make_engine, make_session_factory  # noqa: E402
from service.departments.models import Department  # noqa: E402
from service.flows import cascade  # noqa: E402
from service.migrate import upgrade_database  # noqa: E402
from service.milestones import assignments  # noqa: E402
from service.milestones.models import APPROVED, PENDING, Milestone  # noqa: E402
from service.milestones.stats import dashboard_figures  # noqa: E402
from service.offices.models import Office  # noqa: E402
from service.plans.models import PLAN_ACTIVE, Assignment, Measure, Plan  # noqa: E402

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 2)
TZ = ZoneInfo("Asia/Shanghai")
MEASURES_PER_PLAN = 70


def build(session, children: int, items: int, rng: random.Random) -> tuple[list[int], int, list[int]]:
    """The city's plans, issued to every child office; returns the plan ids, one measure id and the offices' ids."""
    city = Office(name="市办公室", created_at=NOW)
    session.add(city)
    session.flush()
    offices = [Office(name=f"第{n + 1}区办公室", parent_id=city.id, created_at=NOW) for n in range(children)]
    session.add_all(offices)
    session.flush()
    units = [Department(office_id=city.id, name=f"第{n + 1}区政府", represents_office_id=o.id, created_at=NOW)
             for n, o in enumerate(offices)]
    bureaus = [Department(office_id=o.id, name=f"第{n + 1}区局{k}", created_at=NOW)
               for n, o in enumerate(offices) for k in (1, 2)]
    session.add_all(units + bureaus)
    session.flush()
    plan_ids, measure_ids = [], []
    for p in range(max(1, items // MEASURES_PER_PLAN)):
        plan = Plan(office_id=city.id, title=f"行动计划{p + 1}", status=PLAN_ACTIVE, created_at=NOW, activated_at=NOW)
        session.add(plan)
        session.flush()
        plan_ids.append(plan.id)
        rows = [{"plan_id": plan.id, "position": m, "text": f"措施{m}", "deadline": TODAY + timedelta(days=rng.randint(-200, 200))}
                for m in range(MEASURES_PER_PLAN)]
        measure_ids += list(session.scalars(insert(Measure).returning(Measure.id, sort_by_parameter_order=True), rows))
    deadlines = dict(session.query(Measure.id, Measure.deadline).filter(Measure.id.in_(measure_ids)).all())
    plans = dict(session.query(Measure.id, Measure.plan_id).filter(Measure.id.in_(measure_ids)).all())
    assignment_rows = [{"measure_id": m, "department_id": u.id, "role": "lead",
                        "signed_at": NOW if rng.random() < 0.7 else None} for m in measure_ids for u in units]
    ids = list(session.scalars(insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True), assignment_rows))
    milestone_rows = []
    for aid, row in zip(ids, assignment_rows):
        due = deadlines[row["measure_id"]]
        milestone_rows.append({
            "assignment_id": aid, "phase_id": None, "plan_id": plans[row["measure_id"]], "department_id": row["department_id"],
            "due_date": due, "state": APPROVED if due < TODAY and rng.random() < 0.6 else PENDING,
            "created_at": NOW, "updated_at": NOW,
        })
    session.execute(insert(Milestone), milestone_rows)
    # A tenth decomposed by the child office: one measure with its two bureaus.
    by_unit = {u.id: (o, [b for b in bureaus if b.office_id == o.id]) for u, o in zip(units, offices)}
    child_plans = {}
    for o in offices:
        child_plans[o.id] = Plan(office_id=o.id, title="落实方案", status=PLAN_ACTIVE, created_at=NOW, activated_at=NOW)
    session.add_all(child_plans.values())
    session.flush()
    for aid, row in zip(ids, assignment_rows):
        if rng.random() >= 0.1:
            continue
        office, own = by_unit[row["department_id"]]
        plan = child_plans[office.id]
        measure = Measure(plan_id=plan.id, position=aid, text="分解落实", deadline=deadlines[row["measure_id"]],
                          parent_assignment_id=aid)
        session.add(measure)
        session.flush()
        for bureau in own:
            a = Assignment(measure_id=measure.id, department_id=bureau.id, role="lead")
            session.add(a)
            session.flush()
            session.add(Milestone(assignment_id=a.id, plan_id=plan.id, department_id=bureau.id, due_date=measure.deadline,
                                  state=PENDING, created_at=NOW, updated_at=NOW))
    session.commit()
    return plan_ids, measure_ids[0], [city.id] + [o.id for o in offices]


def timed(rounds: int, call) -> dict:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"p50_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000, 1)}


def page_views(url: str, session, city_id: int, plan_ids: list[int], rounds: int) -> dict:
    """The city admin's dashboard through the app: warm, and right after a milestone changed."""
    import os

    from fastapi.testclient import TestClient
    from sqlalchemy import select, update

    from service.app import create_app
    from service.auth.models import TOKEN_KIND_SESSION, User
    from service.auth.service import issue_token
    from service.clock import FixedClock
    from service.config import Settings
    from service.dependencies import SESSION_COOKIE

    os.environ.setdefault("DUBAN_SECRET_KEY", "duban-bench-key")
    admin = User(office_id=city_id, username="bench_city_admin", password_hash="-", role=ROLE_ADMIN, created_at=NOW)
    session.add(admin)
    session.flush()
    token = issue_token(session, admin, now=NOW, kind=TOKEN_KIND_SESSION, lifetime=timedelta(days=3650), name="bench")
    session.commit()
    milestone_ids = list(session.scalars(select(Milestone.id).where(Milestone.plan_id.in_(plan_ids)).limit(rounds)))
    app = create_app(Settings(database_url=url), clock=FixedClock(NOW))
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    with TestClient(app) as client:
        def view():
            response = client.get("/", headers=headers)
            assert response.status_code == 200, response.status_code

        view()
        warm = timed(rounds, view)
        changed = []
        for n in range(rounds):
            session.execute(update(Milestone).where(Milestone.id == milestone_ids[n % len(milestone_ids)])
                            .values(due_date=TODAY + timedelta(days=n + 1)))
            session.commit()
            started = time.perf_counter()
            view()
            changed.append(time.perf_counter() - started)
    changed.sort()
    return {"view_warm": warm, "view_after_change": {
        "p50_ms": round(statistics.median(changed) * 1000, 1),
        "p95_ms": round(changed[min(len(changed) - 1, int(0.95 * len(changed)))] * 1000, 1)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--children", type=int, default=20)
    parser.add_argument("--items", type=int, default=700)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with fresh_database(args.db) as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                started = time.perf_counter()
                plan_ids, measure_id, office_ids = build(session, args.children, args.items, random.Random(13))
                built = time.perf_counter() - started
                # The city's admin, who reads its children's plans too.
                actor = Actor(None, "bench", office_ids[0], ROLE_ADMIN, None, frozenset(office_ids))
                result = {
                    "db": args.db, "children": args.children, "items_per_child": len(plan_ids) * MEASURES_PER_PLAN,
                    "build_s": round(built, 1),
                    "dashboard": timed(args.rounds, lambda: (
                        dashboard_figures(session, actor, plan_ids, TODAY, TZ),
                        assignments.unit_counts(session, actor, today=TODAY, due_soon_until=TODAY + timedelta(days=9)),
                    )),
                    "plan_shares": timed(args.rounds, lambda: cascade.plan_shares(session, actor, plan_ids[0], today=TODAY)),
                    "measure_rows": timed(args.rounds, lambda: cascade.issued_rows(session, actor, measure_id, today=TODAY)),
                }
                result |= page_views(url, session, office_ids[0], plan_ids, args.rounds)
        finally:
            engine.dispose()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
