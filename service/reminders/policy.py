"""Reminder policies (催办规则) and the pure rule that says, for one milestone at
one instant, which step is due now and when the next one falls.

Nothing here touches the database: `evaluate` is a function of the milestone's
facts, the policy, the workday calendar, the business timezone and send hour,
and "now", so the ladder can be tested by moving time alone.
"""

from __future__ import annotations

import calendar as month_calendar
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from notifiers import CHANNEL_TYPES
from service.errors import Invalid
from service.milestones.models import OPEN_STATES, PENDING
from service.workdays import WorkdayCalendar

# Escalation levels of a reminder step (提醒/催办/督办), not the milestones' status lights.
LEVEL_BLUE, LEVEL_YELLOW, LEVEL_RED = "blue", "yellow", "red"
# 三色督办: the colour offices already use for each escalation level.
LEVELS = {LEVEL_BLUE: "提醒", LEVEL_YELLOW: "催办", LEVEL_RED: "督办"}
LEVEL_RANK = {LEVEL_BLUE: 1, LEVEL_YELLOW: 2, LEVEL_RED: 3}
COLOUR_NAMES = {LEVEL_BLUE: "蓝色", LEVEL_YELLOW: "黄色", LEVEL_RED: "红色"}

AUDIENCE_DEPARTMENT = "department"  # the department's contacts
AUDIENCE_HEAD = "head"  # 分管领导
AUDIENCE_OFFICE = "office"
AUDIENCE_LEADER = "leader"
AUDIENCES = (AUDIENCE_DEPARTMENT, AUDIENCE_HEAD, AUDIENCE_OFFICE, AUDIENCE_LEADER)
WORKDAYS, DAYS = "workdays", "days"

KIND_REMINDER = "reminder"
KIND_EARLY_WARNING = "early_warning"
KIND_PROGRESS = "progress_request"


@dataclass(frozen=True)
class Step:
    """One rung of the ladder, `offset` units from the due date (negative: before)."""

    offset: int
    unit: str = WORKDAYS
    audiences: tuple[str, ...] = (AUDIENCE_DEPARTMENT,)
    level: str = LEVEL_BLUE
    channels: tuple[str, ...] | None = None  # None: every channel type
    repeat_every: int | None = None  # then again every N units, while still open

    @property
    def key(self) -> str:
        return step_key(self.offset, self.unit)


def step_key(offset: int, unit: str) -> str:
    """"T-3" (workdays), "D+10" (calendar days), "T0" (the due day)."""
    return f"{'T' if unit == WORKDAYS else 'D'}{'0' if offset == 0 else f'{offset:+d}'}"


# The steps off the ladder, by key.
STEP_ACK, STEP_EARLY, STEP_PROGRESS = "ack", "early", "progress:"


# A manual 催办's ledger step: "chase:2026-11-02" (service.reminders.scan.chase_step).
STEP_CHASE = "chase:"


def step_label(step: str) -> str:
    """What people read for a step's key: "T-3" → 到期前 3 个工作日, "D+10" →
    逾期 10 天, "ack" → 未签收提醒, "progress:2026-10" → 2026-10 进展催报."""
    if step == STEP_ACK:
        return "未签收提醒"
    if step == STEP_EARLY:
        return "进度预警"
    if step.startswith(STEP_PROGRESS):
        return f"{step.removeprefix(STEP_PROGRESS)} 进展催报"
    if step.startswith(STEP_CHASE):
        return "办公室人工催办"
    unit = "个工作日" if step[0] == "T" else "天"
    offset = int(step[1:])
    if offset == 0:
        return "到期当天"
    return f"到期前 {-offset} {unit}" if offset < 0 else f"逾期 {offset} {unit}"


@dataclass(frozen=True)
class Nudge:
    """A side track of the ladder: 未签收提醒, early warning, progress request."""

    audiences: tuple[str, ...] = (AUDIENCE_DEPARTMENT,)
    channels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Unacknowledged(Nudge):
    after_workdays: int = 2  # after the assignment was issued, while still 待签收


@dataclass(frozen=True)
class EarlyWarning(Nudge):
    share: float = 0.3  # fires when less than this share of the phase is left


@dataclass(frozen=True)
class ProgressRequests(Nudge):
    day_of_month: int = 28  # report by this day every month
    workdays_before: int = 3  # asked this many workdays before it
    weekly_cap: int = 1  # request messages per department and week (基层减负)


@dataclass(frozen=True)
class Policy:
    steps: tuple[Step, ...]
    unacknowledged: Unacknowledged | None = Unacknowledged()
    early_warning: EarlyWarning | None = None
    progress: ProgressRequests | None = None

    def to_json(self) -> dict:
        def nudge(n: Nudge | None, *fields: str) -> dict | None:
            if n is None:
                return None
            out = {f: getattr(n, f) for f in fields}
            return out | {"audiences": list(n.audiences), "channels": _list_or_none(n.channels)}

        return {
            "steps": [
                {
                    "offset": s.offset,
                    "unit": s.unit,
                    "audiences": list(s.audiences),
                    "level": s.level,
                    "channels": _list_or_none(s.channels),
                    "repeat_every": s.repeat_every,
                }
                for s in self.steps
            ],
            "unacknowledged": nudge(self.unacknowledged, "after_workdays"),
            "early_warning": nudge(self.early_warning, "share"),
            "progress": nudge(self.progress, "day_of_month", "workdays_before", "weekly_cap"),
        }


def _list_or_none(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)


_CONTACTS_HEAD = (AUDIENCE_DEPARTMENT, AUDIENCE_HEAD)
DEFAULT_POLICY = Policy(
    steps=(
        Step(-7),
        Step(-3),
        Step(-1),
        Step(0),
        Step(1, level=LEVEL_YELLOW),
        Step(3, audiences=_CONTACTS_HEAD, level=LEVEL_YELLOW),
        Step(7, audiences=AUDIENCES, level=LEVEL_RED, repeat_every=5),
    ),
)


# --- validation ----------------------------------------------------------------


def _int(raw: dict, name: str, where: str, default: int | None = None, low: int | None = None, high: int | None = None) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{where}.{name} 必须是整数")
    if (low is not None and value < low) or (high is not None and value > high):
        raise Invalid(f"{where}.{name} 必须在 {low} 到 {high} 之间")
    return value


# Messages the policy form words for people (policy_form.explain).
DUPLICATE_STEPS = "policy.steps 中有重复的步骤（同一偏移量出现两次）"
ONLY_LAST_REPEATS = "只有最后一步可以设置 repeat_every"


def names_message(allowed: tuple[str, ...]) -> str:
    return f"必须是非空列表，取值为 {', '.join(allowed)}"


def _names(raw: dict, name: str, allowed: tuple[str, ...], where: str, default) -> tuple[str, ...] | None:
    value = raw.get(name, default)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value or any(v not in allowed for v in value):
        raise Invalid(f"{where}.{name} {names_message(allowed)}")
    return tuple(dict.fromkeys(value))


def _object(raw: object, where: str) -> dict:
    if not isinstance(raw, dict):
        raise Invalid(f"{where} 必须是 JSON 对象")
    return raw


def _nudge_fields(raw: dict, where: str) -> dict:
    return {
        "audiences": _names(raw, "audiences", AUDIENCES, where, [AUDIENCE_DEPARTMENT]),
        "channels": _names(raw, "channels", CHANNEL_TYPES, where, None),
    }


def policy_from_json(data: object) -> Policy:
    """A validated Policy from its JSON form; Invalid (422) names the bad field."""
    data = _object(data, "policy")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise Invalid("policy.steps 必须是非空列表")
    if len(raw_steps) > 30:
        raise Invalid("policy.steps 最多 30 步")
    steps = []
    for n, raw in enumerate(raw_steps):
        where = f"steps[{n}]"
        raw = _object(raw, where)
        unit = raw.get("unit", WORKDAYS)
        if unit not in (WORKDAYS, DAYS):
            raise Invalid(f"{where}.unit 必须是 workdays 或 days")
        level = raw.get("level", LEVEL_BLUE)
        if level not in LEVELS:
            raise Invalid(f"{where}.level 必须是 blue、yellow 或 red")
        repeat = raw.get("repeat_every")
        if repeat is not None:
            repeat = _int(raw, "repeat_every", where, low=1, high=366)
        steps.append(
            Step(
                offset=_int(raw, "offset", where, low=-366, high=366),
                unit=unit,
                audiences=_names(raw, "audiences", AUDIENCES, where, [AUDIENCE_DEPARTMENT]),
                level=level,
                channels=_names(raw, "channels", CHANNEL_TYPES, where, None),
                repeat_every=repeat,
            )
        )
    keys = [s.key for s in steps]
    if len(set(keys)) != len(keys):
        raise Invalid(DUPLICATE_STEPS)
    steps.sort(key=lambda s: (s.offset, s.unit))
    if any(s.repeat_every for s in steps[:-1]):
        raise Invalid(ONLY_LAST_REPEATS)

    unack = data.get("unacknowledged", None)
    if unack is not None:
        raw = _object(unack, "unacknowledged")
        unack = Unacknowledged(
            after_workdays=_int(raw, "after_workdays", "unacknowledged", 2, 0, 60), **_nudge_fields(raw, "unacknowledged")
        )
    early = data.get("early_warning", None)
    if early is not None:
        raw = _object(early, "early_warning")
        share = raw.get("share", 0.3)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
            raise Invalid("early_warning.share 必须是 0 到 1 之间的小数")
        early = EarlyWarning(share=float(share), **_nudge_fields(raw, "early_warning"))
    progress = data.get("progress", None)
    if progress is not None:
        raw = _object(progress, "progress")
        progress = ProgressRequests(
            day_of_month=_int(raw, "day_of_month", "progress", 28, 1, 31),
            workdays_before=_int(raw, "workdays_before", "progress", 3, 0, 20),
            weekly_cap=_int(raw, "weekly_cap", "progress", 1, 1, 20),
            **_nudge_fields(raw, "progress"),
        )
    return Policy(tuple(steps), unack, early, progress)


# --- the rule ----------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneFacts:
    due_date: date
    state: str
    issued_at: datetime  # when the assignment went out (plan activation)
    phase_start: date  # start of the milestone's phase, for the early warning
    reported: bool  # a progress report has been filed


@dataclass(frozen=True)
class Occurrence:
    """One firing of a step or nudge for one milestone."""

    step: str  # the de-duplication key's step, e.g. "T-3", "T+12", "ack", "progress:2026-10"
    kind: str
    level: str
    day: date
    fire_at: datetime
    audiences: tuple[str, ...]
    channels: tuple[str, ...] | None
    offset: int | None = None  # workdays or days from the due date, for the message

    @property
    def rank(self) -> tuple[int, datetime]:
        return LEVEL_RANK[self.level], self.fire_at


@dataclass(frozen=True)
class Evaluation:
    due: Occurrence | None  # the most severe ladder occurrence due now (no floods)
    progress: Occurrence | None  # a progress request due now
    next_at: datetime | None  # the earliest firing after now; None when nothing is left


def send_instant(day: date, tz: ZoneInfo, send_hour: int) -> datetime:
    return datetime.combine(day, time(send_hour), tz).astimezone(timezone.utc)


def step_day(due: date, offset: int, unit: str, calendar: WorkdayCalendar) -> date:
    """The day a step falls on: workday offsets count workdays; a calendar-day
    step that lands on a day off moves to the previous workday before the due
    date (and on it) and to the next workday after it."""
    if unit == WORKDAYS and offset != 0:
        return calendar.add_workdays(due, offset)
    day = due + timedelta(days=offset)
    direction = 1 if offset > 0 else -1
    while not calendar.is_workday(day):
        day += timedelta(days=direction)
    return day


class _Timeline:
    def __init__(self, calendar: WorkdayCalendar, tz: ZoneInfo, send_hour: int):
        self.calendar, self.tz, self.send_hour = calendar, tz, send_hour

    def at(self, day: date) -> datetime:
        return send_instant(day, self.tz, self.send_hour)


def _steps(due_date: date, steps: tuple[Step, ...], tl: _Timeline, now: datetime) -> list[Occurrence]:
    """The ladder's steps for one due date: every occurrence up to now, plus the first one after it."""
    found = []
    for step in steps:
        offset = step.offset
        day = step_day(due_date, offset, step.unit, tl.calendar)
        while True:
            found.append(
                Occurrence(
                    step_key(offset, step.unit), KIND_REMINDER, step.level, day, tl.at(day),
                    step.audiences, step.channels, offset,
                )
            )
            if not step.repeat_every or found[-1].fire_at > now:
                break
            offset += step.repeat_every
            # Counting on from the previous repeat keeps a long-overdue milestone cheap.
            if step.unit == WORKDAYS:
                day = tl.calendar.add_workdays(day, step.repeat_every)
            else:
                day = step_day(due_date, offset, DAYS, tl.calendar)
    return found


def _ladder(facts: MilestoneFacts, policy: Policy, tl: _Timeline, now: datetime, steps: list[Occurrence]) -> list[Occurrence]:
    """Every ladder occurrence up to now, plus the first one after it: the steps, then the nudges."""
    found = list(steps)
    if policy.unacknowledged and facts.state == PENDING:
        u = policy.unacknowledged
        issued = facts.issued_at.astimezone(tl.tz).date()
        day = tl.calendar.add_workdays(issued, u.after_workdays)
        found.append(Occurrence(STEP_ACK, KIND_REMINDER, LEVEL_BLUE, day, tl.at(day), u.audiences, u.channels))
    if policy.early_warning and not facts.reported:
        w = policy.early_warning
        span = (facts.due_date - facts.phase_start).days
        if span > 0:
            day = step_day(facts.due_date, -math.ceil(span * w.share), DAYS, tl.calendar)
            found.append(Occurrence(STEP_EARLY, KIND_EARLY_WARNING, LEVEL_BLUE, day, tl.at(day), w.audiences, w.channels))
    return found


def _progress_occurrence(p: ProgressRequests, year: int, month: int, tl: _Timeline) -> tuple[Occurrence, datetime]:
    """This month's request and the end of its reporting day."""
    deadline = date(year, month, min(p.day_of_month, month_calendar.monthrange(year, month)[1]))
    deadline = step_day(deadline, 0, DAYS, tl.calendar)
    day = tl.calendar.add_workdays(deadline, -p.workdays_before) if p.workdays_before else deadline
    occurrence = Occurrence(
        f"{STEP_PROGRESS}{year}-{month:02d}", KIND_PROGRESS, LEVEL_BLUE, deadline, tl.at(day), p.audiences, p.channels
    )
    return occurrence, send_instant(deadline + timedelta(days=1), tl.tz, 0)


def cycle_request(period_end: date, calendar: WorkdayCalendar, tz: ZoneInfo, send_hour: int) -> Occurrence:
    """The progress request of a plan's reporting period (定期报送): on the period's
    last workday, keyed by the period's end so each period is requested once."""
    day = step_day(period_end, 0, DAYS, calendar)
    return Occurrence(
        f"{STEP_PROGRESS}{period_end.isoformat()}", KIND_PROGRESS, LEVEL_BLUE, period_end,
        send_instant(day, tz, send_hour), (AUDIENCE_DEPARTMENT,), None,
    )


def _progress(facts: MilestoneFacts, p: ProgressRequests, tl: _Timeline, now: datetime):
    """The request due now (if any) and the next request's instant.

    Requests go only to milestones whose due date is after the reporting day:
    the ladder already chases the ones that fall due sooner.
    """
    local = now.astimezone(tl.tz).date()
    year, month = local.year, local.month
    due_now, next_at = None, None
    for _ in range(3):
        occurrence, closes = _progress_occurrence(p, year, month, tl)
        if occurrence.day >= facts.due_date:
            break
        if occurrence.fire_at <= now < closes and occurrence.fire_at >= facts.issued_at:
            due_now = occurrence
        elif occurrence.fire_at > now:
            next_at = occurrence.fire_at
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return due_now, next_at


class Evaluator:
    """`evaluate` for many milestones at one instant, remembering what they share.

    A scan's due milestones fall on a few dozen due dates under a few policies:
    the ladder's step days are worked out once per (due date, policy), and a
    milestone whose facts equal another's gets the same answer. The policies
    passed in must outlive the evaluator (they are remembered by identity).
    """

    def __init__(self, calendar: WorkdayCalendar, tz: ZoneInfo, send_hour: int, now: datetime):
        self.timeline = _Timeline(calendar, tz, send_hour)
        self.now = now
        self._steps: dict[tuple[date, int], list[Occurrence]] = {}
        self._answers: dict[tuple[MilestoneFacts, int], Evaluation] = {}

    def evaluate(self, facts: MilestoneFacts, policy: Policy) -> Evaluation:
        key = (facts, id(policy))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._evaluate(facts, policy)
        return answer

    def _evaluate(self, facts: MilestoneFacts, policy: Policy) -> Evaluation:
        if facts.state not in OPEN_STATES:
            return Evaluation(None, None, None)
        tl, now = self.timeline, self.now
        steps_key = (facts.due_date, id(policy))
        steps = self._steps.get(steps_key)
        if steps is None:
            steps = self._steps[steps_key] = _steps(facts.due_date, policy.steps, tl, now)
        ladder = _ladder(facts, policy, tl, now, steps)
        fired = [o for o in ladder if facts.issued_at <= o.fire_at <= now]
        later = [o.fire_at for o in ladder if o.fire_at > now]
        due = max(fired, key=lambda o: o.rank) if fired else None
        progress = None
        if policy.progress:
            progress, progress_next = _progress(facts, policy.progress, tl, now)
            if progress_next:
                later.append(progress_next)
        return Evaluation(due, progress, min(later, default=None))


def evaluate(
    facts: MilestoneFacts,
    policy: Policy,
    calendar: WorkdayCalendar,
    tz: ZoneInfo,
    send_hour: int,
    now: datetime,
) -> Evaluation:
    """What is due for one milestone at `now`, and when to look again.

    Of every ladder occurrence whose time has come only the most severe is due
    (after downtime nothing is sent for the steps that were missed); occurrences
    timed before the assignment was issued never fire. Closed milestones
    (submitted, approved) get nothing.
    """
    return Evaluator(calendar, tz, send_hour, now).evaluate(facts, policy)
