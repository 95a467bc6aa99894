"""Plans' versions: a number that grows whenever a plan or anything in it changes (its
phases, tasks, measures, assignments, milestones, progress reports, extension requests),
read from the triggers' counts in `plan_changes` (see `PlanChange`) in time independent
of the plans' size.

What is computed from the plans' contents (the dashboard's figures and fragments) can be
cached under `version(session, plan_ids)`: read the version first, then compute; a change
committed meanwhile moves the version, so the next reader computes again.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import ScalarSelect, delete, func, insert, select
from sqlalchemy.orm import Session

from service.plans.models import PlanChange


def of(plan_id) -> ScalarSelect[int]:
    """The version of the plan whose id is `plan_id` (a column), as a column:
    `select(Plan.id, versions.of(Plan.id))` reads a set of plans and their versions at once."""
    return select(func.coalesce(func.sum(PlanChange.n), 0)).where(PlanChange.plan_id == plan_id).scalar_subquery()


def version(session: Session, plan_ids: list[int]) -> int:
    """The plans' version: the sum of their change counts (0 for plans never changed since
    migration 0023). Only grows; compacting keeps it."""
    if not plan_ids:
        return 0
    return session.scalar(select(func.coalesce(func.sum(PlanChange.n), 0)).where(PlanChange.plan_id.in_(plan_ids)))


def compact(session: Session, *, rows_over: int = 1) -> int:
    """Fold each plan's rows into one with the same sum (PostgreSQL appends a row per change);
    answers how many rows went. Safe beside writers and other compactions: each deletes only
    the rows it finds and writes back their sum. A deleted plan keeps its one row: SQLite may
    give its id to a new plan, whose version must go on growing from there."""
    crowded = list(
        session.scalars(
            select(PlanChange.plan_id).group_by(PlanChange.plan_id).having(func.count() > rows_over)
        )
    )
    gone = 0
    for plan_id in crowded:
        deleted = session.execute(delete(PlanChange).where(PlanChange.plan_id == plan_id).returning(PlanChange.n)).all()
        if deleted:
            session.execute(insert(PlanChange).values(plan_id=plan_id, n=sum(n for (n,) in deleted)))
            gone += len(deleted) - 1
    return gone


class SharedCache:
    """What is computed from plans' contents, shared by every request with the same key until
    the key changes: keys hold the plans' versions (read before computing) and whatever else
    the value depends on. The least recently used entries go first; while one request computes
    a key, the others asking for it wait and reuse its value."""

    def __init__(self, size: int = 128):
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # the first request computes; the others wait and reuse it
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
            return value
