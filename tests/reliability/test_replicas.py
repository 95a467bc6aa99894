"""Three replicas on one PostgreSQL for a simulated month: each daily step runs
three `duban tick --now T` processes and three `duban dispatch --once` at once
(as three replicas' schedulers would), against the local receiver; a last
dispatch wave delivers the final step. Every reminder DESIGN.md's ladder asks
for arrives exactly once.

Size knob: DUBAN_REPLICA_DAYS, daily steps from the activation (default 21, CI's
size: across the make-up Sunday into the holiday, about a minute; 31 for the
whole month, through the holiday and the escalations after it).
"""

import json
import os

import pytest

from tests.reliability import scenario
from tests.reliability.processes import run_together

DAYS = int(os.environ.get("DUBAN_REPLICA_DAYS", "21"))
REPLICAS = 3


def test_three_replicas_for_a_month_send_every_reminder_exactly_once(database_url, session_factory, robot_receiver):
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL database")
    keys = scenario.build(session_factory, robot_receiver, departments=4, measures_per_deadline=2)
    ticks = scenario.tick_instants(DAYS)
    scanned = 0
    for instant in ticks:
        outputs = run_together([["tick", "--now", instant.isoformat()]] * REPLICAS + [["dispatch", "--once"]] * REPLICAS,
                               database_url)
        scanned += sum(json.loads(out.splitlines()[-1])["reminders"] for out in outputs[:REPLICAS])
    run_together([["dispatch", "--once"]] * REPLICAS, database_url)

    wanted = scenario.expected(session_factory, keys, ticks[-1])
    got = scenario.received(robot_receiver)
    assert len(wanted) > 50  # the month really exercises the ladder
    assert {k for k, n in got.items() if n > 1} == set()
    assert set(got) - set(wanted) == set(), "sent without being asked for"
    assert set(wanted) - set(got) == set(), "asked for, never arrived"
    # Each (milestone, step, recipient) was decided by exactly one of the concurrent scans.
    assert scanned == len(wanted)
