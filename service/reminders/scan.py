"""The reminder scan: run every minute by the scheduler and by `duban tick`.

It reads only milestones whose `next_reminder_at` has come (one range query on
that index, with what the messages need joined in), loads channels, policies
and phases for them in a few batched queries, asks the pure ladder rule what
is due, records each (milestone, due version, step, recipient, channel) in the
sent-reminder ledger under its unique key, and enqueues one digest per
recipient and channel for the rows it actually inserted. The progress requests
of plans' reporting cycles (定期报送) join the same digests, read by plan for the
plans whose period is ending only. Workflow events queued since the last scan
become their notices in the same transaction.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, sessionmaker

from notifiers import fits as notifier_fits
from notifiers import has_size_limit, supports_mentions
from service.clock import SystemClock
from service.config import Settings
from service.database import transaction
from service.delivery.models import Channel
from service.delivery.service import digest_context, enqueue_many, signed_items
from service.departments.models import Department
from service.holidays.source import OfficeCalendars
from service.messages import item_labels, render_bodies, render_subject
from service.milestones.assignments import cycle_window
from service.milestones.models import APPROVED, EVENT_ASSIGNMENT, OPEN_STATES, Milestone, ProgressReport, WorkflowEvent
from service.plans.models import (
    CYCLE_MONTHLY,
    CYCLE_NONE,
    CYCLE_QUARTERLY,
    CYCLE_WEEKLY,
    PLAN_ACTIVE,
    Assignment,
    Measure,
    Phase,
    Plan,
)
from service.reminders.handoff import by_measure
from service.reminders.links import LinkSettings, link_payload, link_settings
from service.reminders.models import MilestoneLink, SentReminder
from service.reminders.policy import (
    Evaluator,
    AUDIENCE_DEPARTMENT,
    AUDIENCE_HEAD,
    AUDIENCE_LEADER,
    AUDIENCE_OFFICE,
    LEVEL_BLUE,
    LEVEL_RED,
    STEP_CHASE,
    LEVEL_YELLOW,
    COLOUR_NAMES,
    KIND_EARLY_WARNING,
    KIND_PROGRESS,
    KIND_REMINDER,
    LEVEL_RANK,
    LEVELS,
    MilestoneFacts,
    Occurrence,
    cycle_request,
    send_instant,
)
from service.reminders.service import policies_for
from service.workdays import WorkdayCalendar

# Enough for any real office in one minute; the rest waits for the next scan.
MAX_MILESTONES_PER_SCAN = 50_000
ROLE_LABELS = {"lead": "牵头", "support": "配合"}


@dataclass(frozen=True)
class Recipient:
    key: str  # the ledger's recipient: "channel:<id>" or an email address
    channel_type: str
    target: str
    channel_id: int | None


@dataclass
class Row:
    """A due milestone with what its messages show.

    `milestone`, `plan` and `department` are plain result rows of the columns
    below, not ORM entities: a scan only reads them, and thousands of entities
    in the identity map cost ten times the query.
    """

    milestone: object  # the columns of MILESTONE_COLUMNS and CONTEXT_COLUMNS
    plan: object  # PLAN_COLUMNS
    department: object  # DEPARTMENT_COLUMNS


@dataclass(frozen=True)
class Links:
    """Decides the link an item carries: one that only shows (for the office,
    leaders, the department head) or one that may also acknowledge (for the
    department's own channels). The item holds the link's payload; it is signed
    when the digest is rendered, at send time (delivery.service.digest_bodies)."""

    settings: Settings
    now: datetime
    plans: dict[int, LinkSettings]

    @classmethod
    def of(cls, session: Session, settings: Settings, now: datetime, rows) -> "Links":
        return cls(settings, now, link_settings(session, {row.plan.id for row in rows}))

    def payload(self, row: Row, acts: bool) -> dict:
        m = row.milestone
        return link_payload(m.id, m.due_date, self.plans[row.plan.id].version, self.now, m.own_link_version or 1,
                            acts=acts)


@dataclass
class Digest:
    """Everything one recipient hears about on one channel in one scan."""

    recipient: Recipient
    office_id: int
    items: list[dict] = field(default_factory=list)
    milestones: list[dict] = field(default_factory=list)
    mentions: set[str] = field(default_factory=set)
    departments: set[int] = field(default_factory=set)

    def add(self, row: Row, item: dict, mentions: set[str], **about) -> None:
        m = row.milestone
        self.items.append(item)
        self.milestones.append({"id": m.id, "due_version": m.due_version, **about})
        self.mentions |= mentions
        self.departments.add(m.department_id)


def _digest_for(digests: dict[Recipient, Digest], recipient: Recipient, row: Row) -> Digest:
    return digests.setdefault(recipient, Digest(recipient, row.plan.office_id))


class ContactBook:
    """Who hears about what: channels and addresses of the departments and offices
    in one scan, loaded in two queries."""

    def __init__(self, session: Session, department_ids: set[int], office_ids: set[int]):
        self.department: dict[int, list[Channel]] = defaultdict(list)
        self.office: dict[tuple[int, str], list[Channel]] = defaultdict(list)
        if not department_ids and not office_ids:
            return
        # A unit standing for a child office (上级交办) is reached through that office's own
        # channels (its admins'), never its bureaus: they hear from their own office's ladder.
        child_offices = dict(session.execute(
            select(Department.id, Department.represents_office_id)
            .where(Department.id.in_(department_ids), Department.represents_office_id.is_not(None))
        ).all())
        channels = session.scalars(
            select(Channel)
            .where(
                Channel.enabled.is_(True),
                (Channel.department_id.in_(department_ids))
                | (Channel.department_id.is_(None) & Channel.office_id.in_(office_ids | set(child_offices.values()))),
            )
            .order_by(Channel.id)
        )
        for channel in channels:
            if channel.department_id is None:
                self.office[(channel.office_id, channel.audience)].append(channel)
            elif channel.audience == AUDIENCE_DEPARTMENT:
                self.department[channel.department_id].append(channel)
        for department_id, child_office_id in child_offices.items():
            self.department[department_id] += self.office[(child_office_id, AUDIENCE_OFFICE)]

    def recipients(
        self, department: Department, office_id: int, audiences, channel_types
    ) -> dict[Recipient, set[str]]:
        """Recipients of one message with the mobiles to @ on each."""
        found: dict[Recipient, set[str]] = {}

        def add(recipient: Recipient, mentions=()) -> None:
            if channel_types is None or recipient.channel_type in channel_types:
                found.setdefault(recipient, set()).update(filter(None, mentions))

        def channel(c: Channel, mentions=()) -> None:
            add(Recipient(f"channel:{c.id}", c.type, c.target, c.id), mentions)

        def email(address: str) -> None:
            address = address.strip().lower()
            if address:
                add(Recipient(address, "email", address, None))

        for audience in audiences:
            if audience == AUDIENCE_DEPARTMENT:
                for c in self.department[department.id]:
                    channel(c, c.mentions or ())
                for address in department.emails or ():
                    email(address)
            elif audience == AUDIENCE_HEAD:
                if department.head_email:
                    email(department.head_email)
                if department.head_mobile:
                    for c in self.department[department.id]:
                        if supports_mentions(c.type):
                            channel(c, (department.head_mobile,))
            else:
                for c in self.office[(office_id, audience)]:
                    channel(c, c.mentions or ())
        return found

    def is_own(self, recipient: Recipient, department: Department) -> bool:
        """Whether a recipient is the department's own channel or address (where its
        messages may carry a link that acts), not a head's, an office's or a leader's."""
        if recipient.channel_id is not None:
            return any(c.id == recipient.channel_id for c in self.department[department.id])
        return recipient.key in {a.strip().lower() for a in department.emails or ()}


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> set[tuple]:
    """Insert ledger rows; return the keys this transaction inserted (the others
    were sent before, or by a concurrent scan)."""
    if not rows:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # On the table, not the entity: the ORM's bulk path costs more than the INSERT itself.
    table = SentReminder.__table__
    statement = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["milestone_id", "due_version", "step", "recipient", "channel"])
        .returning(table.c.milestone_id, table.c.step, table.c.recipient, table.c.channel)
    )
    inserted: set[tuple] = set()
    for start in range(0, len(rows), 2000):
        inserted.update(tuple(r) for r in session.execute(statement, rows[start : start + 2000]))
    return inserted


def _week_start(now: datetime, settings: Settings) -> datetime:
    local = now.astimezone(settings.tz).date()
    return send_instant(local - timedelta(days=local.weekday()), settings.tz, 0)


def _progress_scans_this_week(session: Session, department_ids: set[int], now: datetime, settings: Settings) -> dict[int, int]:
    """How many scans sent each department progress requests this week (基层减负 cap)."""
    if not department_ids:
        return {}
    rows = session.execute(
        select(SentReminder.department_id, func.count(func.distinct(SentReminder.created_at)))
        .where(
            SentReminder.department_id.in_(department_ids),
            SentReminder.kind == KIND_PROGRESS,
            SentReminder.created_at >= _week_start(now, settings),
        )
        .group_by(SentReminder.department_id)
    )
    return dict(rows.all())


def _phase_starts(session: Session, plan_ids: set[int]) -> dict[int, list[date]]:
    deadlines: dict[int, list[date]] = defaultdict(list)
    for plan_id, deadline in session.execute(
        select(Phase.plan_id, Phase.deadline).where(Phase.plan_id.in_(plan_ids)).order_by(Phase.deadline)
    ):
        deadlines[plan_id].append(deadline)
    return deadlines


def _facts(row: Row, phase_deadlines: list[date], settings: Settings) -> MilestoneFacts:
    m = row.milestone
    issued_at = row.plan.activated_at or m.created_at
    earlier = [d for d in phase_deadlines if d < m.due_date]
    start = earlier[-1] if earlier else issued_at.astimezone(settings.tz).date()
    return MilestoneFacts(m.due_date, m.state, issued_at, start, m.submitted_at is not None)


MILESTONE_COLUMNS = (
    Milestone.id, Milestone.plan_id, Milestone.department_id, Milestone.due_date, Milestone.due_version,
    Milestone.state, Milestone.created_at, Milestone.submitted_at,
)
CONTEXT_COLUMNS = (
    Measure.text.label("measure_text"), Assignment.role, Phase.name.label("phase_name"),
    MilestoneLink.version.label("own_link_version"),
)
PLAN_COLUMNS = (Plan.id, Plan.office_id, Plan.title, Plan.status, Plan.activated_at, Plan.reporting_cycle)
DEPARTMENT_COLUMNS = (Department.id, Department.name, Department.emails, Department.head_email, Department.head_mobile)


def _with_context(query: Select) -> Select:
    """Add to a query over Milestone the columns of a Row's milestone (plans and
    departments, shared by many rows, are read once each by `_rows`)."""
    return (
        query.add_columns(*MILESTONE_COLUMNS, *CONTEXT_COLUMNS)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .outerjoin(Phase, Phase.id == Milestone.phase_id)
        .outerjoin(MilestoneLink, MilestoneLink.milestone_id == Milestone.id)
    )


def _rows(session: Session, found) -> list[Row]:
    """Rows for milestone result rows, with their plans and departments in two queries."""
    plan_ids = {r.plan_id for r in found}
    department_ids = {r.department_id for r in found}
    plans = {p.id: p for p in session.execute(select(*PLAN_COLUMNS).where(Plan.id.in_(plan_ids)))} if found else {}
    departments = (
        {d.id: d for d in session.execute(select(*DEPARTMENT_COLUMNS).where(Department.id.in_(department_ids)))}
        if found else {}
    )
    return [Row(r, plans[r.plan_id], departments[r.department_id]) for r in found]


def _load_due(session: Session, now: datetime, limit: int) -> list[Row]:
    query = (
        _with_context(select().select_from(Milestone))
        .where(Milestone.next_reminder_at <= now)
        .order_by(Milestone.next_reminder_at)
        .limit(limit)
        # Replicas scanning at once split the due milestones instead of waiting.
        .with_for_update(of=Milestone, skip_locked=True)
    )
    return _rows(session, session.execute(query).all())


def _item(row: Row, occurrence: Occurrence | None, kind: str, today: date, links: Links, acts: bool, **extra) -> dict:
    """One digest item as the outbox event lists it (what a webhook receives), its
    link still to sign."""
    m = row.milestone
    level = occurrence.level if occurrence else None
    return {
        "milestone_id": m.id,
        "kind": kind,
        "level": level,
        "level_name": LEVELS.get(level, ""),
        "colour_name": COLOUR_NAMES.get(level, ""),
        "step": occurrence.step if occurrence else None,
        "report_by": occurrence.day.isoformat() if occurrence else None,
        "plan_title": row.plan.title,
        "department_name": row.department.name,
        "measure_text": m.measure_text,
        "role_label": ROLE_LABELS.get(m.role, m.role),
        "phase_name": m.phase_name,
        "due_date": m.due_date.isoformat(),
        "days_left": (m.due_date - today).days,
        "state": m.state,
        "unacknowledged": m.state == "pending",
        "link": None,
        "link_acts": acts,
        **extra,
        "link_payload": links.payload(row, acts),
    }


def _rank(item: dict) -> int:
    return LEVEL_RANK.get(item["level"], 0)


def _digest_kind(items: list[dict]) -> str:
    kinds = {i["kind"] for i in items}
    for kind in (KIND_REMINDER, KIND_EARLY_WARNING, KIND_PROGRESS):
        if kind in kinds:
            return kind
    return KIND_REMINDER


def digest_fields(items: list[dict], offset: int = 0) -> dict:
    """A digest's own fields (its items and the service's address are added when it is rendered)."""
    top = max(items, key=_rank)["level"] if items else None
    return {
        "offset": offset,  # items in the parts before this one: numbering goes on across parts
        "level": top,
        "level_name": LEVELS.get(top, ""),
        "colour_name": COLOUR_NAMES.get(top, ""),
        "count": len(items),
        "plan_title": items[0].get("plan_title", "") if items else "",
    }


def split_in_parts(
    count: int, channel_type: str, mentions: tuple[str, ...], bodies: Callable[[int, int], tuple[str, str | None]]
) -> list[tuple[int, int]]:
    """(start, end) of each part a message of `count` items goes in: as few as the
    channel's size limit allows.

    `bodies(start, end)` renders the text and markdown of the part with those items;
    only a channel with a size limit calls it. Each part is measured on the body the
    channel will send with these mentions (notifiers.fits), so a WeCom message that
    @s someone, sent as text, is held to the text limit and one that does not, sent
    as markdown, to the markdown one. Parts are filled in order while they fit, which
    gives the fewest parts; an item too big on its own still goes alone (the notifier
    refuses it rather than cut it).
    """
    if count <= 1 or not has_size_limit(channel_type, mentions):
        return [(0, count)]

    def fits(start: int, end: int) -> bool:
        return notifier_fits(channel_type, *bodies(start, end), mentions)

    if fits(0, count):
        return [(0, count)]
    parts = []
    start = 0
    while start < count:
        # The longest run from `start` that fits, found by halving: a part's body only
        # grows with each item added (items come most urgent first, so its heading
        # stays), and one item always makes a part.
        low, high = start + 1, count
        while low < high:
            middle = (low + high + 1) // 2
            if fits(start, middle):
                low = middle
            else:
                high = middle - 1
        parts.append((start, low))
        start = low
    return parts


def _digest_parts(settings: Settings, template: str, digest: Digest, mentions: tuple[str, ...]) -> list[tuple[int, int]]:
    """A digest's parts, measured on the bodies the dispatcher will render (identical:
    links are signed from the same payloads)."""
    signed: list[dict] = []

    def bodies(start: int, end: int) -> tuple[str, str | None]:
        if not signed:
            signed.extend(signed_items(settings, digest.items))
        part = signed[start:end]
        return render_bodies(template, digest_context(settings, digest_fields(part, start), part))

    return split_in_parts(len(digest.items), digest.recipient.channel_type, mentions, bodies)


def _enqueue_digests(session: Session, digests: dict, kind_of, template: str, settings: Settings, now: datetime) -> int:
    """Queue each digest in as few parts as its channel allows, its bodies to be
    rendered when it is sent; only the subject (listed in the outbox) is worded now."""
    outbox = []
    for digest in digests.values():
        digest.items.sort(key=lambda i: (-_rank(i), i["due_date"], i["milestone_id"]))
        mentions = tuple(sorted(digest.mentions))
        parts = _digest_parts(settings, template, digest, mentions)
        for n, (offset, end) in enumerate(parts, start=1):
            items = digest.items[offset:end]
            ids = {m for i in items for m in i.get("milestone_ids", [i["milestone_id"]])}
            context, kind = digest_fields(items, offset), kind_of(items)
            subject = render_subject(template, {**context, "items": [items[0] | item_labels(items[0])]})
            if len(parts) > 1:
                subject = f"{subject}（{n}/{len(parts)}）"
            outbox.append(dict(
                office_id=digest.office_id,
                department_id=next(iter(digest.departments)) if len(digest.departments) == 1 else None,
                channel_id=digest.recipient.channel_id,
                channel_type=digest.recipient.channel_type,
                target=digest.recipient.target,
                kind=kind,
                level=context["level"],
                subject=subject,
                template=template,
                template_context=context,
                event={
                    "type": f"duban.{kind}",
                    "level": context["level"],
                    "level_name": LEVELS.get(context["level"]),
                    "milestones": [m for m in digest.milestones if m["id"] in ids],
                    "items": items,
                },
                mentions=list(mentions),
                now=now,
            ))
    return enqueue_many(session, outbox)


@dataclass
class Decisions:
    """What the ladder rule says about the due milestones of one scan."""

    planned: list[tuple[Row, Occurrence]] = field(default_factory=list)
    next_times: dict[int, datetime | None] = field(default_factory=dict)
    # Per department: (row, request, the policy's weekly cap), before the cap is applied.
    progress: dict[int, list[tuple[Row, Occurrence, int]]] = field(default_factory=lambda: defaultdict(list))


def _decide(session: Session, rows: list[Row], settings: Settings, calendars: OfficeCalendars, now: datetime) -> Decisions:
    """Evaluate every due milestone, in the workdays of its plan's office."""
    plan_ids = {row.plan.id for row in rows}
    policies = policies_for(session, plan_ids)
    phases = _phase_starts(session, plan_ids)
    decided = Decisions()
    evaluators: dict[int, Evaluator] = {}
    for row in rows:
        m, plan = row.milestone, row.plan
        if plan.status != PLAN_ACTIVE or m.state not in OPEN_STATES:
            decided.next_times[m.id] = None
            continue
        policy = policies[plan.id]
        evaluator = evaluators.get(plan.office_id)
        if evaluator is None:
            evaluator = evaluators[plan.office_id] = Evaluator(
                calendars.for_office(plan.office_id), settings.tz, settings.send_hour, now
            )
        result = evaluator.evaluate(_facts(row, phases[plan.id], settings), policy)
        decided.next_times[m.id] = result.next_at
        if result.due is None and result.progress is None:
            continue
        if result.due:
            decided.planned.append((row, result.due))
        # A plan's reporting cycle supersedes the policy's monthly request (see _cycle_requests).
        if result.progress and plan.reporting_cycle == CYCLE_NONE:
            decided.progress[m.department_id].append((row, result.progress, policy.progress.weekly_cap))
    return decided


def _apply_weekly_cap(session: Session, decided: Decisions, settings: Settings, now: datetime) -> int:
    """基层减负: a department gets progress requests in at most `weekly_cap` scans a
    week. Requests over the cap wait for next week's send hour; returns how many."""
    already = _progress_scans_this_week(session, set(decided.progress), now, settings)
    next_week = send_instant(_week_start(now, settings).astimezone(settings.tz).date() + timedelta(days=7),
                             settings.tz, settings.send_hour)
    capped = 0
    for department_id, entries in decided.progress.items():
        for row, occurrence, cap in entries:
            if already.get(department_id, 0) < cap:
                decided.planned.append((row, occurrence))
                continue
            capped += 1
            mid = row.milestone.id
            decided.next_times[mid] = min(filter(None, (decided.next_times[mid], next_week)), default=next_week)
    return capped


def _addressed(planned: list[tuple[Row, Occurrence]], contacts: ContactBook) -> list[tuple[Row, Occurrence, Recipient, set[str]]]:
    """Every (milestone, occurrence) with each of its recipients and the mobiles to @ there."""
    return [
        (row, occurrence, recipient, mentions)
        for row, occurrence in planned
        for recipient, mentions in contacts.recipients(
            row.department, row.plan.office_id, occurrence.audiences, occurrence.channels
        ).items()
    ]


def _record_in_ledger(session: Session, targets, now: datetime) -> set[tuple]:
    """Ledger keys of the targets this scan is the first to send."""
    return _insert_ignoring_duplicates(session, [
        {"milestone_id": row.milestone.id, "due_version": row.milestone.due_version, "step": occurrence.step,
         "recipient": recipient.key, "channel": recipient.channel_type,
         "department_id": row.milestone.department_id, "kind": occurrence.kind, "created_at": now}
        for row, occurrence, recipient, _mentions in targets
    ])


def _save_next_times(session: Session, rows: list[Row], next_times: dict[int, datetime | None]) -> None:
    """One UPDATE per distinct next time: due milestones mostly share the next send hour."""
    by_time: dict[datetime | None, list[int]] = defaultdict(list)
    for row in rows:
        by_time[next_times[row.milestone.id]].append(row.milestone.id)
    table = Milestone.__table__
    for next_at, ids in by_time.items():
        for start in range(0, len(ids), 5000):
            # updated_at stays: a scan is not a change anyone made to the milestone.
            session.execute(
                update(table)
                .where(table.c.id.in_(ids[start : start + 5000]))
                .values(next_reminder_at=next_at, updated_at=table.c.updated_at)
            )


def _drop_chased_today(session: Session, decided: Decisions, settings: Settings, now: datetime) -> None:
    """A milestone the office chased by hand today gets no ladder reminder from the scan that day."""
    ids = {row.milestone.id for row, o in decided.planned if o.kind == KIND_REMINDER}
    if not ids:
        return
    chased = set(session.scalars(
        select(SentReminder.milestone_id).where(
            SentReminder.milestone_id.in_(ids), SentReminder.step == chase_step(now, settings)
        )
    ))
    decided.planned = [(row, o) for row, o in decided.planned if not (o.kind == KIND_REMINDER and row.milestone.id in chased)]


PERIOD_NAMES = {CYCLE_WEEKLY: "本周", CYCLE_MONTHLY: "本期", CYCLE_QUARTERLY: "本季度"}


def _cycle_requests(
    session: Session, settings: Settings, calendars: OfficeCalendars, now: datetime
) -> tuple[list[tuple[Row, Occurrence]], dict[str, str]]:
    """定期报送: each open 督办件 of a plan with a reporting cycle owes a progress
    report per period; on the period's last workday the ones without one are asked.

    Plans are few, so their periods are worked out here; only plans whose request
    time has come are queried, for their items' current checkpoints (the earliest
    not closed), leaving out items that reported in the period or were asked
    already (any of their checkpoints in the ledger under the period's step).
    Returns the requests and each step's name of the period for the message."""
    today = now.astimezone(settings.tz).date()
    groups: dict[tuple[datetime, Occurrence], list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    for plan in session.execute(
        select(Plan.id, Plan.office_id, Plan.activated_at, Plan.reporting_cycle, Plan.reporting_day)
        .where(Plan.status == PLAN_ACTIVE, Plan.reporting_cycle != CYCLE_NONE)
    ):
        start, end = cycle_window(plan.reporting_cycle, plan.reporting_day, today)
        occurrence = cycle_request(end, calendars.for_office(plan.office_id), settings.tz, settings.send_hour)
        # As with the policy's requests: a plan issued after the request time owes nothing yet.
        if plan.activated_at is not None and plan.activated_at <= occurrence.fire_at <= now:
            groups[(send_instant(start, settings.tz, 0), occurrence)].append(plan.id)
            names[occurrence.step] = PERIOD_NAMES[plan.reporting_cycle]
    requests: list[tuple[Row, Occurrence]] = []
    for (period_start, occurrence), plan_ids in groups.items():
        checkpoint = aliased(Milestone)
        current = (
            select(checkpoint.id)
            .where(checkpoint.assignment_id == Assignment.id, checkpoint.state != APPROVED)
            .order_by(checkpoint.due_date, checkpoint.id)
            .limit(1)
            .scalar_subquery()
        )
        asked = (
            select(SentReminder.id)
            .join(checkpoint, checkpoint.id == SentReminder.milestone_id)
            .where(checkpoint.assignment_id == Assignment.id, SentReminder.step == occurrence.step)
        )
        found = session.execute(
            _with_context(select().select_from(Milestone))
            .where(
                Milestone.plan_id.in_(plan_ids),
                Milestone.id == current,
                ~exists().where(ProgressReport.assignment_id == Assignment.id, ProgressReport.created_at >= period_start),
                ~asked.exists(),
            )
            .order_by(Milestone.id)
        ).all()
        requests += [(row, occurrence) for row in _rows(session, found)]
    return requests, names


def scan(
    session: Session, settings: Settings, calendar: WorkdayCalendar | OfficeCalendars, now: datetime, *,
    limit: int = MAX_MILESTONES_PER_SCAN,
) -> dict:
    """One reminder scan in the caller's transaction; returns its summary. A
    single WorkdayCalendar counts for every office."""
    with _cycle_collector_paused():
        return _scan(session, settings, calendar, now, limit)


@contextmanager
def _cycle_collector_paused():
    """A scan builds some 10^5 rows, dicts and tuples per 10,000 due milestones and
    keeps them all until it ends; they hold few if any reference cycles, so the cyclic
    collector frees nothing of them, but it walked them again at every collection:
    a third of a large scan's CPU time (bench/README.md). Reference counting still
    frees everything; whatever cycles anything makes meanwhile (request threads
    included) are collected once it runs again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _scan(
    session: Session, settings: Settings, calendar: WorkdayCalendar | OfficeCalendars, now: datetime, limit: int
) -> dict:
    summary = {"now": now.isoformat(), "milestones": 0, "reminders": 0, "progress_requests": 0,
               "duplicates_skipped": 0, "capped": 0, "events": 0, "notifications": 0}
    rows = _load_due(session, now, limit)
    summary["milestones"] = len(rows)
    calendars = OfficeCalendars.of(calendar)
    decided = _decide(session, rows, settings, calendars, now)
    summary["capped"] = _apply_weekly_cap(session, decided, settings, now)
    _drop_chased_today(session, decided, settings, now)
    cycle, period_names = _cycle_requests(session, settings, calendars, now)
    decided.planned += cycle

    addressed = rows + [row for row, _ in cycle]
    contacts = ContactBook(
        session, {row.milestone.department_id for row in addressed}, {row.plan.office_id for row in addressed}
    )
    targets = _addressed(decided.planned, contacts)
    inserted = _record_in_ledger(session, targets, now)
    links = Links.of(session, settings, now, [row for row, _ in decided.planned])
    today = now.astimezone(settings.tz).date()
    digests: dict[Recipient, Digest] = {}
    # One item per milestone, occurrence and kind of link, shared by the digests of its recipients.
    items: dict[tuple[int, str, bool], dict] = {}
    for row, occurrence, recipient, mentions in targets:
        if (row.milestone.id, occurrence.step, recipient.key, recipient.channel_type) not in inserted:
            summary["duplicates_skipped"] += 1
            continue
        acts = contacts.is_own(recipient, row.department)
        key = (row.milestone.id, occurrence.step, acts)
        if key not in items:
            items[key] = _item(row, occurrence, occurrence.kind, today, links, acts,
                               period_name=period_names.get(occurrence.step, "本月"))
        _digest_for(digests, recipient, row).add(row, items[key], mentions, step=occurrence.step)
        summary["progress_requests" if occurrence.kind == KIND_PROGRESS else "reminders"] += 1
    summary["notifications"] += _enqueue_digests(session, digests, _digest_kind, "reminder", settings, now)

    _save_next_times(session, rows, decided.next_times)
    summary["events"], notices = process_events(session, settings, now)
    summary["notifications"] += notices
    return summary


def run_scan(
    session_factory: sessionmaker[Session], settings: Settings, calendar: WorkdayCalendar | OfficeCalendars,
    now: datetime | None = None,
) -> dict:
    """The scheduler's and `duban tick`'s entry point: one scan, one transaction."""
    now = now or SystemClock().now()
    with transaction(session_factory) as session:
        return scan(session, settings, calendar, now)


# --- manual chasing (催办 by hand) ------------------------------------------------

KIND_CHASE = "chase"
CHASE_LEVELS = {"remind": LEVEL_BLUE, "urge": LEVEL_YELLOW, "supervise": LEVEL_RED}
# Who hears each level, as the default ladder's 提醒 / 催办 / 督办 steps.
CHASE_AUDIENCES = {
    LEVEL_BLUE: (AUDIENCE_DEPARTMENT,),
    LEVEL_YELLOW: (AUDIENCE_DEPARTMENT, AUDIENCE_HEAD),
    LEVEL_RED: (AUDIENCE_DEPARTMENT, AUDIENCE_HEAD, AUDIENCE_OFFICE, AUDIENCE_LEADER),
}


def chase_step(now: datetime, settings: Settings) -> str:
    """The ledger step of a manual chase: one per milestone and local day."""
    return f"{STEP_CHASE}{now.astimezone(settings.tz).date().isoformat()}"


def claim_chase(session: Session, settings: Settings, milestones: list[Milestone], now: datetime) -> set[int]:
    """Take today's manual-chase slot of each milestone (the ledger row); returns
    the ones taken, the others were chased (or given a 督办单) today already."""
    step = chase_step(now, settings)
    return {key[0] for key in _insert_ignoring_duplicates(session, [
        {"milestone_id": m.id, "due_version": m.due_version, "step": step, "recipient": "office",
         "channel": "manual", "department_id": m.department_id, "kind": KIND_CHASE, "created_at": now}
        for m in milestones
    ])}


def send_chase(
    session: Session, settings: Settings, milestone_ids: list[int], level: str, now: datetime, *, note: str | None = None
) -> list[int]:
    """Send a manual 提醒/催办/督办 for each milestone now, digested per recipient.

    A ledger row per milestone and day is the once-a-day guard (under the ledger's
    unique key, so two offices' clicks at once send once) and tells the day's scans
    to leave the milestone's ladder reminder out. Returns the milestones chased;
    the others were already chased today. `note` (a 督办单's requirement and reply
    date) is shown under each item."""
    step = chase_step(now, settings)
    rows = _rows(session, session.execute(
        _with_context(select().select_from(Milestone)).where(Milestone.id.in_(milestone_ids)).order_by(Milestone.id)
    ).all())
    inserted = claim_chase(session, settings, [row.milestone for row in rows], now)
    rows = [row for row in rows if row.milestone.id in inserted]
    if not rows:
        return []
    links = Links.of(session, settings, now, rows)
    contacts = ContactBook(session, {row.milestone.department_id for row in rows}, {row.plan.office_id for row in rows})
    today = now.astimezone(settings.tz).date()
    occurrence = Occurrence(step, KIND_REMINDER, level, today, now, CHASE_AUDIENCES[level], None)
    digests: dict[Recipient, Digest] = {}
    for row in rows:
        items: dict[bool, dict] = {}  # one per kind of link, shared by the digests of its recipients
        for recipient, mentions in contacts.recipients(row.department, row.plan.office_id, occurrence.audiences, None).items():
            acts = contacts.is_own(recipient, row.department)
            if acts not in items:
                items[acts] = _item(row, occurrence, KIND_REMINDER, today, links, acts, manual=True, note=note)
            _digest_for(digests, recipient, row).add(row, items[acts], mentions, step=step)
    _enqueue_digests(session, digests, _digest_kind, "reminder", settings, now)
    return [row.milestone.id for row in rows]


# --- workflow events ------------------------------------------------------------


EVENT_LIMIT = 20_000


def process_events(session: Session, settings: Settings, now: datetime) -> tuple[int, int]:
    """Turn queued workflow events into notices: per kind, one message per recipient."""
    found = session.execute(
        _with_context(select(WorkflowEvent).join(Milestone, Milestone.id == WorkflowEvent.milestone_id))
        .order_by(WorkflowEvent.id)
        .limit(EVENT_LIMIT)
        .with_for_update(of=WorkflowEvent, skip_locked=True)
    ).all()
    if not found:
        return 0, 0
    events = list(zip((r.WorkflowEvent for r in found), _rows(session, found)))
    today = now.astimezone(settings.tz).date()
    links = Links.of(session, settings, now, [row for _, row in events])
    contacts = ContactBook(session, {row.department.id for _, row in events}, set())
    by_kind: dict[str, dict[Recipient, Digest]] = defaultdict(dict)
    for event, row in events:
        # Only the department's own channels and addresses hear of it: their links act.
        item = _item(row, None, event.kind, today, links, True, **event.payload)
        for recipient, mentions in contacts.recipients(row.department, row.plan.office_id, (AUDIENCE_DEPARTMENT,), None).items():
            _digest_for(by_kind[event.kind], recipient, row).add(row, item, mentions)
    # A unit hears of each measure it is given once, with all its checkpoints.
    for digest in by_kind.get(EVENT_ASSIGNMENT, {}).values():
        digest.items = by_measure(digest.items)
    count = sum(
        _enqueue_digests(session, digests, lambda _items, k=kind: k, kind, settings, now)
        for kind, digests in by_kind.items()
    )
    session.execute(WorkflowEvent.__table__.delete().where(WorkflowEvent.id.in_([event.id for event, _ in events])))
    return len(events), count
