"""The scan against a database: time travel over the National Day ladder (due
2026-10-09), de-duplication, digests, stop-when-done, ladder restart, events."""

import threading
from datetime import date, timedelta

from sqlalchemy import select, update

from service.delivery.models import Notification
from service.delivery.service import digest_bodies
from service.milestones import service as workflow
from service.milestones.models import Milestone
from service.reminders.models import SentReminder
from service.reminders.scan import run_scan
from service.auth.actor import Actor
from service.auth.models import ROLE_DEPARTMENT
from tests.reminders.conftest import ACTIVATED, CALENDAR, utc

# Asia/Shanghai 09:00 = 01:00 UTC. The ack step: issued 09-01, two workdays later.
EXPECTED_LEAD_ROBOT = [
    ("ack", utc(2026, 9, 3, 1)),
    ("T-7", utc(2026, 9, 22, 1)),
    ("T-3", utc(2026, 9, 29, 1)),
    ("T-1", utc(2026, 10, 8, 1)),
    ("T0", utc(2026, 10, 9, 1)),
    ("T+1", utc(2026, 10, 10, 1)),  # make-up Saturday
    ("T+3", utc(2026, 10, 13, 1)),
    ("T+7", utc(2026, 10, 19, 1)),
    ("T+12", utc(2026, 10, 26, 1)),
    ("T+17", utc(2026, 11, 2, 1)),
]


def ledger(session_factory, milestone_id, recipient=None):
    with session_factory() as session:
        query = select(SentReminder).where(SentReminder.milestone_id == milestone_id)
        if recipient:
            query = query.where(SentReminder.recipient == recipient)
        return list(session.scalars(query.order_by(SentReminder.id)))


def notifications(session_factory, **filters):
    with session_factory() as session:
        return list(session.scalars(select(Notification).filter_by(**filters).order_by(Notification.id)))


def robot_channel(session_factory, target):
    from service.delivery.models import Channel

    with session_factory() as session:
        return f"channel:{session.scalar(select(Channel.id).where(Channel.target == target))}"


def dept_actor(reminder_world):
    return Actor(None, "u", reminder_world["office_id"], ROLE_DEPARTMENT, reminder_world["lead_id"], frozenset({reminder_world["office_id"]}))


def test_assignment_notices_on_first_scan(reminder_world, session_factory, settings):
    summary = run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=1))
    assert summary["events"] == 2 and summary["reminders"] == 0
    sent = notifications(session_factory, kind="assignment")
    assert {n.target for n in sent} == {"lead-key", "ip@example.cn", "ip2@example.cn", "dev@example.cn"}
    assert all("https://duban.example.cn/m/" in digest_bodies(settings, n).text for n in sent)
    assert run_scan(session_factory, settings, CALENDAR, ACTIVATED + timedelta(minutes=2))["events"] == 0


def test_time_travel_across_national_day_each_step_fires_once_at_its_instant(reminder_world, session_factory, settings):
    instants = sorted({ACTIVATED + timedelta(minutes=1)} | {
        utc(2026, 9, 1, 1) + timedelta(days=d, minutes=m) for d in range(63) for m in (-1, 0, 0, 30)
    })
    for now in instants:
        if now > ACTIVATED:
            run_scan(session_factory, settings, CALENDAR, now)
    robot = robot_channel(session_factory, "lead-key")
    rows = ledger(session_factory, reminder_world["milestone_id"], robot)
    assert [(r.step, r.created_at) for r in rows] == EXPECTED_LEAD_ROBOT
    reminders = [n for n in notifications(session_factory, target="lead-key") if n.kind == "reminder"]
    assert [(n.created_at, n.level) for n in reminders] == [
        (at, {"T+1": "yellow", "T+3": "yellow", "T+7": "red", "T+12": "red", "T+17": "red"}.get(step, "blue"))
        for step, at in EXPECTED_LEAD_ROBOT
    ]
    # 督办 (red) at T+7 reaches the office and the leader; the head is @-mentioned from T+3.
    office = [n for n in notifications(session_factory, target="office-key") if n.kind == "reminder"]
    assert [n.created_at for n in office] == [at for step, at in EXPECTED_LEAD_ROBOT[-3:]]
    assert "红色督办" in office[0].subject and "🔴" in digest_bodies(settings, office[0]).markdown
    t3 = next(n for n in reminders if n.created_at == utc(2026, 10, 13, 1))
    assert t3.mentions == ["13800000001"] and "黄色催办" in t3.subject
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], "head@example.cn")] == [
        "T+3", "T+7", "T+12", "T+17"
    ]


def test_no_flood_after_downtime(reminder_world, session_factory, settings):
    summary = run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 14, 3))
    robot = robot_channel(session_factory, "lead-key")
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T+3"]
    assert summary["reminders"] == 4 + 1  # lead: robot, 2 addresses, head; support: 1 address


def test_the_head_is_not_mentioned_on_a_channel_that_cannot_mention(reminder_world, session_factory, settings):
    """Feishu custom bots cannot @ by mobile: the department's Feishu robot gets its
    own reminder without the head's mention, while its WeCom robot @s the head."""
    from service.delivery.models import Channel

    with session_factory.begin() as session:
        session.add(Channel(office_id=reminder_world["office_id"], department_id=reminder_world["lead_id"], audience="department",
                            type="feishu", target="lead-feishu"))
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 14, 3))  # T+3: the head joins

    [feishu] = notifications(session_factory, target="lead-feishu", kind="reminder")
    [wecom] = notifications(session_factory, target="lead-key", kind="reminder")
    assert feishu.mentions == [] and wecom.mentions == ["13800000001"]


def test_no_duplicates_across_restarts_and_concurrent_scans(reminder_world, session_factory, settings):
    now = utc(2026, 9, 29, 1, 5)
    threads = [threading.Thread(target=run_scan, args=(session_factory, settings, CALENDAR, now)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A restart that lost the next reminder times re-reads everything: still nothing new.
    with session_factory.begin() as session:
        session.execute(update(Milestone).values(next_reminder_at=now))
    again = run_scan(session_factory, settings, CALENDAR, now + timedelta(minutes=1))
    assert again["reminders"] == 0 and again["duplicates_skipped"] > 0
    robot = robot_channel(session_factory, "lead-key")
    assert [r.step for r in ledger(session_factory, reminder_world["milestone_id"], robot)] == ["T-3"]
    assert len([n for n in notifications(session_factory, target="lead-key") if n.kind == "reminder"]) == 1


def test_nothing_for_submitted_or_approved_milestones(reminder_world, session_factory, settings):
    with session_factory.begin() as session:
        workflow.submit_report(session, dept_actor(reminder_world), reminder_world["milestone_id"], text="已完成", percent=100,
                               now=utc(2026, 9, 20))
        assert session.get(Milestone, reminder_world["milestone_id"]).next_reminder_at is None
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 20, 1))
    assert ledger(session_factory, reminder_world["milestone_id"]) == []
    assert ledger(session_factory, reminder_world["milestone_id"] + 1) != []  # the support milestone is still chased


def test_ladder_restarts_after_an_approved_extension(reminder_world, session_factory, settings):
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 10, 1))  # T+1 (yellow)
    with session_factory.begin() as session:
        workflow.acknowledge(session, dept_actor(reminder_world), reminder_world["milestone_id"], now=utc(2026, 10, 12, 2))
        request = workflow.request_extension(session, dept_actor(reminder_world), reminder_world["milestone_id"],
                                             new_due_date=date(2026, 10, 30), reason="需要跨部门会签",
                                             now=utc(2026, 10, 12, 2))
        workflow.decide_extension(session, reminder_world["actor"], request.id, approve=True, comment="同意",
                                  now=utc(2026, 10, 12, 3))
    summary = run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 12, 3, 1))
    assert summary["events"] == 1 and summary["reminders"] == 0
    decided = notifications(session_factory, kind="extension_decided", target="lead-key")
    text = digest_bodies(settings, decided[0]).text
    assert len(decided) == 1 and "已批准" in text and "2026-10-30" in text
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 21, 1))  # new T-7
    robot = robot_channel(session_factory, "lead-key")
    rows = ledger(session_factory, reminder_world["milestone_id"], robot)
    assert [(r.due_version, r.step) for r in rows] == [(1, "T+1"), (2, "T-7")]


def test_one_digest_per_recipient_sorted_by_urgency_split_only_at_the_size_limit(reminder_world, session_factory, settings):
    from tests.reminders.conftest import add_measures

    add_measures(session_factory, reminder_world, 40)
    run_scan(session_factory, settings, CALENDAR, utc(2026, 10, 14, 1))
    email = [n for n in notifications(session_factory, target="ip@example.cn") if n.kind == "reminder"]
    assert len(email) == 1  # email has no size limit: one digest
    robot = [n for n in notifications(session_factory, target="lead-key") if n.kind == "reminder"]
    assert len(robot) > 1
    assert all(len(digest_bodies(settings, n).text.encode()) <= 2048 for n in robot)
    listed = [m["id"] for n in robot for m in n.event["milestones"]]
    assert sorted(listed) == sorted({m["id"] for m in email[0].event["milestones"]}) and len(listed) == 41
    # Most urgent first: the overdue (yellow) milestone leads, the blue ones follow.
    levels = [i["level"] for n in robot for i in n.event["items"]]
    assert levels[0] == "yellow" and set(levels[1:]) == {"blue"}
