"""Several dispatchers at once over one outbox, and two scanners filling it
while three dispatchers drain it: every notification is delivered exactly
once, none is lost. On PostgreSQL the scans and claims skip each other's
locked rows; on SQLite they queue on the write lock.
"""

import threading
import time
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from service.database import transaction
from service.delivery.dispatcher import DispatchOptions, dispatch_once, message_id
from service.delivery.models import Channel, DeliveryAttempt, Notification
from service.delivery.service import enqueue
from service.departments.models import Department
from service.milestones.models import Milestone
from service.offices.models import Office
from service.plans.models import PLAN_ACTIVE, Assignment, Measure, Plan
from service.reminders.models import SentReminder
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW


def test_three_dispatchers_deliver_1000_notifications_exactly_once(session_factory, settings, world, robot_receiver):
    city = world.offices["city"].id
    url = robot_receiver.webhook_url("many")
    with transaction(session_factory) as session:
        ids = [
            enqueue(session, office_id=city, department_id=None, channel_id=None, channel_type="webhook",
                    target=url, kind="assignment", level=None, subject="s", body_text=f"第{i}条",
                    body_markdown=None, body_html=None, event={"type": "assignment", "seq": i},
                    mentions=[], now=NOW).id
            for i in range(1000)
        ]
    summaries: list[dict] = []
    errors: list[BaseException] = []
    # Small batches so the three really interleave their claims.
    options = DispatchOptions(batch_size=25, concurrency=10)

    def run(name: str) -> None:
        try:
            summaries.append(dispatch_once(session_factory, settings, worker=name, options=options))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"dispatcher-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert sum(s["sent"] for s in summaries) == 1000
    assert all(s["sent"] > 0 for s in summaries), summaries  # all three took part

    delivered = Counter(m.headers["webhook-id"] for m in robot_receiver.received(kind="webhook", key="many"))
    assert set(delivered) == {message_id(i) for i in ids}
    assert set(delivered.values()) == {1}
    with session_factory() as session:
        statuses = session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        assert dict(statuses) == {"sent": 1000}
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 1000


DEPARTMENTS = 200
CHANNELS_PER_DEPARTMENT = 5
SCAN_STEP = timedelta(seconds=10)
SCAN_INSTANTS = [NOW + SCAN_STEP * k for k in range(DEPARTMENTS // 10 + 1)]


def build_due_reminders(session_factory, webhook_url) -> dict[str, int]:
    """One milestone due today (its T0 step fires at NOW) per department, each
    department with five webhook channels and no mailbox: one reminder per
    channel, 1,000 in all. The milestones come due for the scan ten per
    SCAN_STEP, so successive scans each find a slice."""
    keys: dict[str, int] = {}
    with transaction(session_factory) as session:
        office = Office(name="并发测试领导小组办公室")
        session.add(office)
        session.flush()
        office_id = office.id
        plan = Plan(office_id=office_id, title="并发测试行动计划", status=PLAN_ACTIVE, created_at=NOW - timedelta(days=30),
                    activated_at=NOW - timedelta(days=30))
        session.add(plan)
        session.flush()
        for n in range(DEPARTMENTS):
            department = Department(office_id=office_id, name=f"并发测试第{n + 1}单位", emails=[])
            measure = Measure(plan_id=plan.id, position=n + 1, text=f"第{n + 1}项措施。")
            session.add_all([department, measure])
            session.flush()
            assignment = Assignment(measure_id=measure.id, department_id=department.id, role="lead")
            session.add(assignment)
            session.flush()
            milestone = Milestone(
                assignment_id=assignment.id, plan_id=plan.id, department_id=department.id, due_date=date(2026, 11, 2),
                state="acknowledged", created_at=plan.created_at, next_reminder_at=NOW + SCAN_STEP * (n // 10),
            )
            session.add(milestone)
            session.flush()
            for c in range(CHANNELS_PER_DEPARTMENT):
                key = f"d{n}-c{c}"
                session.add(Channel(office_id=office_id, department_id=department.id, audience="department",
                                    type="webhook", target=webhook_url(key), enabled=True, created_at=NOW))
                keys[key] = milestone.id
    return keys


def test_two_scanners_and_three_dispatchers_deliver_1000_reminders_exactly_once(
    session_factory, settings, robot_receiver
):
    expected = build_due_reminders(session_factory, robot_receiver.webhook_url)
    assert len(expected) == 1000
    calendar = WorkdayCalendar()
    scan_settings = settings.model_copy(update={"secret_key": "test-secret"})  # signs the milestone links
    scans: list[dict] = []
    dispatches: list[tuple[bool, dict]] = []
    errors: list[BaseException] = []
    options = DispatchOptions(batch_size=25, concurrency=10)

    def scanner() -> None:
        try:
            for instant in SCAN_INSTANTS:  # the minute timer, sped up
                scans.append(run_scan(session_factory, scan_settings, calendar, instant))
                time.sleep(0.02)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    scanners = [threading.Thread(target=scanner) for _ in range(2)]

    def dispatcher(name: str) -> None:
        try:
            while True:
                scanning = any(t.is_alive() for t in scanners)
                # Everything the scans wrote is due by then; the rows keep their order.
                summary = dispatch_once(session_factory, settings, now=SCAN_INSTANTS[-1] + timedelta(hours=1),
                                        worker=name, options=options)
                dispatches.append((scanning, summary))
                if not summary["claimed"]:
                    if not scanning:
                        return
                    time.sleep(0.02)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    dispatchers = [threading.Thread(target=dispatcher, args=(f"dispatcher-{i}",)) for i in range(3)]
    for thread in scanners + dispatchers:
        thread.start()
    for thread in scanners + dispatchers:
        thread.join(180)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in scanners + dispatchers)

    # The scans between them decided each reminder once.
    assert sum(s["reminders"] for s in scans) == 1000
    assert sum(s["notifications"] for s in scans) == 1000
    assert sum(summary["sent"] for _, summary in dispatches) == 1000
    assert any(scanning and summary["sent"] for scanning, summary in dispatches), "no delivery overlapped the scans"

    received = robot_receiver.received(kind="webhook")
    assert Counter(m.key for m in received) == Counter(dict.fromkeys(expected, 1))
    for message in received:
        assert [m["id"] for m in message.payload["milestones"]] == [expected[message.key]]
    with session_factory() as session:
        notifications = session.scalars(select(Notification)).all()
        assert len(notifications) == 1000 and {n.status for n in notifications} == {"sent"}
        delivered = Counter(m.headers["webhook-id"] for m in received)
        assert delivered == Counter(message_id(n.id) for n in notifications)
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 1000
        ledger = session.execute(select(SentReminder.milestone_id, SentReminder.recipient)).all()
        assert len(ledger) == len(set(ledger)) == 1000
        assert session.scalar(select(func.count()).where(Milestone.next_reminder_at <= SCAN_INSTANTS[-1])) == 0
