"""Concurrent changes to one result: the row locks (on SQLite the write lock) make
them take turns, so no correction is lost and a result is published once."""

import threading

from sqlalchemy import select

from service.assessment import service
from service.assessment.models import AssessmentCorrection
from service.database import transaction
from service.errors import Conflict
from tests.assessment.conftest import CALENDAR, TZ, at, year_scheme
from tests.assessment.test_scoring import TODAY


def in_threads(session_factory, world, change, count: int) -> tuple[int, list[BaseException]]:
    """Run `change(session, actor, n)` in `count` threads at once, each in its own transaction."""
    barrier = threading.Barrier(count)
    done, errors = [], []

    def run(n: int) -> None:
        try:
            # Before the transaction: on SQLite it takes the write lock when it begins.
            barrier.wait(10)
            with transaction(session_factory) as session:
                change(session, world.actor(session, "city_admin"), n)
            done.append(n)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return len(done), errors


def test_concurrent_publishes_and_corrections_take_turns(session_factory, world, year):
    with transaction(session_factory) as session:
        admin = world.actor(session, "city_admin")
        scheme = service.create_scheme(session, admin, year_scheme(year.plan_id), now=at("2027-01-04"))
        result_id = service.compute_result(session, admin, scheme.id, start="2026-01-01", end="2026-12-31",
                                           today=TODAY, calendar=CALENDAR, tz=TZ, now=at("2027-01-05")).id

    published, errors = in_threads(session_factory, world, lambda s, a, n: service.publish(
        s, a, result_id, ranking_public=False, now=at("2027-01-06")), 3)
    assert published == 1 and len(errors) == 2 and all(isinstance(e, Conflict) for e in errors), errors

    dev_id = world.departments["dev"].id
    corrected, errors = in_threads(session_factory, world, lambda s, a, n: service.correct(
        s, a, result_id, department_id=dev_id, item_key="penalty", new_points=str(n + 1), reason=f"第{n + 1}次核实",
        now=at("2027-01-07")), 3)
    assert corrected == 3 and not errors
    with session_factory() as session:
        chain = list(session.scalars(select(AssessmentCorrection).order_by(AssessmentCorrection.id)))
        # Each correction saw the one before it: 80 (penalty 5) → … with no step lost.
        assert chain[0].before["points"] == "5.00"
        assert [c.before["points"] for c in chain[1:]] == [c.after["points"] for c in chain[:-1]]
        score = next(s for s in service.scores_of(session, session.get(service.AssessmentResult, result_id))
                     if s.department_id == dev_id)
        assert next(line for line in score.lines if line["key"] == "penalty")["points"] == chain[-1].after["points"]
