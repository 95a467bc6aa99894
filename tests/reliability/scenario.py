"""A reminder scenario across the 2025 National Day holiday, every recipient a
webhook on the local receiver, and what DESIGN.md's default ladder asks for in
it, computed here from chinesecalendar alone (not from the service's code).

Ticks run every day at 09:00 Shanghai time from the activation instant; the
plan's measures fall due around the holiday (2025-10-01…08 off, Sunday 09-28
and Saturday 10-11 make-up workdays), support milestones two workdays earlier.
All milestones are acknowledged, so only the ladder speaks.
"""

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from sqlalchemy import select, update

from service.auth.actor import Actor
from service.database import transaction
from service.delivery.models import Channel
from service.departments.models import Department
from service.milestones.models import Milestone
from service.offices.models import Office
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.workdays import WorkdayCalendar

ACTIVATED = datetime(2025, 9, 12, 1, 0, tzinfo=timezone.utc)  # Friday 09:00 in Shanghai
LEAD_DEADLINES = ("2025-09-26", "2025-09-30", "2025-10-09", "2025-10-10")
SUPPORT_LEAD_WORKDAYS = 2
# DESIGN.md: T-7, T-3, T-1, T0, T+1 to the contacts; T+3 adds the head;
# T+7 and every 5 workdays after adds the office and the leader.
LADDER = ((-7, False), (-3, False), (-1, False), (0, False), (1, False), (3, False), (7, True))
REPEAT_AFTER_LAST = 5


def tick_instants(days: int) -> list[datetime]:
    return [ACTIVATED + timedelta(days=n) for n in range(days)]


def build(session_factory, receiver, *, departments: int = 4, measures_per_deadline: int = 1) -> dict[int, str]:
    """The office, departments with webhook channels, the active plan; returns
    {department_id: receiver key}."""
    with transaction(session_factory) as session:
        office = Office(name="孝感市知识产权工作领导小组办公室")
        session.add(office)
        session.flush()
        keys = {}
        names = [f"孝感市测试单位{n}" for n in range(1, departments + 1)]
        for n, name in enumerate(names, start=1):
            department = Department(office_id=office.id, name=name)
            session.add(department)
            session.flush()
            keys[department.id] = f"dept-{n}"
            session.add(Channel(office_id=office.id, department_id=department.id, audience="department",
                                type="webhook", target=receiver.webhook_url(f"dept-{n}")))
        for audience in ("office", "leader"):
            session.add(Channel(office_id=office.id, department_id=None, audience=audience, type="webhook",
                                target=receiver.webhook_url(audience)))
        measures = []
        for k, deadline in enumerate(LEAD_DEADLINES):
            for m in range(measures_per_deadline):
                lead = names[(k + m) % departments]
                support = names[(k + m + 1) % departments]
                measures.append({"text": f"措施{k}-{m}：建立知识产权快速维权机制。", "lead": [lead], "support": [support],
                                 "deadline": deadline})
        plan = create_plan_from_parsed(session, Actor.system(office.id), {
            "title": "孝感市知识产权强市建设行动计划",
            "phases": [],
            "tasks": [{"number": "1", "title": "强化知识产权保护", "measures": measures}],
        }, now=ACTIVATED).plan
        activate_plan(session, Actor.system(office.id), plan.id, now=ACTIVATED, calendar=WorkdayCalendar(),
                      support_lead_workdays=SUPPORT_LEAD_WORKDAYS)
        session.execute(update(Milestone).values(state="acknowledged", acknowledged_at=ACTIVATED))
    return keys


def _shift(day: date, workdays: int) -> date:
    if workdays == 0:
        while not chinese_calendar.is_workday(day):
            day += timedelta(days=1)
        return day
    step = 1 if workdays > 0 else -1
    while workdays:
        day += timedelta(days=step)
        if chinese_calendar.is_workday(day):
            workdays -= step
    return day


def _step_key(offset: int) -> str:
    return "T0" if offset == 0 else f"T{offset:+d}"


def expected(session_factory, keys: dict[int, str], last_tick: datetime) -> Counter:
    """(milestone id, step, receiver key) → 1 for every reminder the ladder asks
    for between the activation and the last tick."""
    with session_factory() as session:
        milestones = session.execute(select(Milestone.id, Milestone.department_id, Milestone.due_date)).all()
    wanted: Counter = Counter()
    last_day = last_tick.date()
    for milestone_id, department_id, due in milestones:
        for offset, escalated in LADDER:
            day = _shift(due, offset)
            while day <= last_day:
                assert day >= ACTIVATED.date(), "the scenario starts before every ladder"
                for key in (keys[department_id], *(("office", "leader") if escalated else ())):
                    wanted[(milestone_id, _step_key(offset), key)] += 1
                if not escalated:
                    break
                offset += REPEAT_AFTER_LAST
                day = _shift(day, REPEAT_AFTER_LAST)
    return wanted


def received(receiver) -> Counter:
    """(milestone id, step, receiver key) of every reminder the receiver accepted."""
    got: Counter = Counter()
    for message in receiver.received(kind="webhook"):
        if message.payload.get("type") != "duban.reminder":
            continue
        for item in message.payload["milestones"]:
            got[(item["id"], item["step"], message.key)] += 1
    return got


def _rank(offset: int) -> int:
    return 1 if offset <= 0 else 2 if offset < 7 else 3


def most_severe(session_factory, keys: dict[int, str], instant: datetime) -> Counter:
    """What one scan at `instant` (09:00 of a day) owes after no earlier scan:
    per milestone only its most severe step whose day has come (no floods)."""
    with session_factory() as session:
        milestones = session.execute(select(Milestone.id, Milestone.department_id, Milestone.due_date)).all()
    wanted: Counter = Counter()
    today = instant.date()
    for milestone_id, department_id, due in milestones:
        fired = []
        for offset, repeats in LADDER:
            day = _shift(due, offset)
            while day <= today:
                fired.append((_rank(offset), day, offset))
                if not repeats:
                    break
                offset += REPEAT_AFTER_LAST
                day = _shift(day, REPEAT_AFTER_LAST)
        if fired:
            rank, _, offset = max(fired)
            for key in (keys[department_id], *(("office", "leader") if rank == 3 else ())):
                wanted[(milestone_id, _step_key(offset), key)] += 1
    return wanted
