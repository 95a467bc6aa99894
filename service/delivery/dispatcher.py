"""The dispatcher: claims due notifications with a lease, sends them
concurrently, records every attempt.

One dispatch run is a small pipeline on one event loop:

    claim (a batch per statement) -> queue -> N senders -> record (a batch per transaction)

Claiming sets status "sending", a lease (lease_until, leased_by) and
next_attempt_at = lease_until, so rows of a worker that died mid-send become
due again when the lease runs out, through the same (status, next_attempt_at)
index as everything else. PostgreSQL claimers skip each other's locked rows
(FOR UPDATE SKIP LOCKED); SQLite serialises them with BEGIN IMMEDIATE.
Results are written only while the lease is still ours, so a worker that
wakes up after its lease expired cannot overwrite its successor's outcome.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from notifiers import (
    Message,
    formats as channel_formats,
    Notifier,
    PermanentFailure,
    RetryAfter,
    Sent,
    Target,
    build_notifiers,
)
from notifiers.base import DeliveryResult
from service.auth.actor import Actor
from service.config import Settings
from service.database import transaction
from service.delivery.models import (
    CANCELLED,
    DEAD,
    KIND_TEST,
    PENDING,
    RETRY,
    SENDING,
    SENT,
    Channel,
    DeliveryAttempt,
    Notification,
    SendSlot,
)
from service.delivery.service import (
    alert_office,
    channel_label,
    channel_rate_limit,
    digest_bodies,
    enqueue,
    get_channel,
    notifier_config,
)
from service.departments.models import Department
from service.errors import RateLimited
from service.messages import render
from service.milestones.models import OPEN_STATES, Milestone
from service.offices.models import Office

log = logging.getLogger(__name__)

NOTIFICATIONS = Notification.__table__
ATTEMPTS = DeliveryAttempt.__table__
# A robot counts a minute from when it receives a message, which is a little
# after we reserve the slot; the margin keeps our window the longer one.
RATE_WINDOW = timedelta(seconds=65)
# Longer than any send can take, so a crash between sending and recording
# leaves the row to a dispatcher only well after the request gave up.
TEST_MESSAGE_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class DispatchOptions:
    batch_size: int = 200
    concurrency: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 8
    # A receiver that keeps answering "rate limited" is retried as it asks, for
    # up to this long after the notification was written.
    max_throttled_seconds: float = 24 * 3600.0
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 6 * 3600.0


@dataclass
class Claimed:
    """What a sender needs, read once at claim time."""

    id: int
    office_id: int
    channel_type: str
    target: str
    kind: str
    subject: str
    body_text: str
    body_markdown: str | None
    body_html: str | None
    event: dict
    mentions: list[str]
    attempts: int
    created_at: datetime
    secret: str | None = None
    channel_mentions: list[str] = field(default_factory=list)
    template: str | None = None
    template_context: dict | None = None
    # Rendered by this worker (not stored yet): the outcome's record stores them.
    rendered_now: bool = False
    # Why its bodies could not be rendered: it is not sent, and ends dead.
    render_error: str | None = None

    def rendered(self, settings: Settings) -> Claimed:
        """With its bodies and its event's links signed: a digest queued without
        bodies is rendered now."""
        if self.template is None:
            return self
        try:
            bodies = digest_bodies(settings, self, channel_formats(self.channel_type))
        except Exception as exc:  # one row that cannot be rendered must not hold up the others
            log.exception("notification %s could not be rendered", self.id)
            return replace(self, render_error=f"{type(exc).__name__}: {exc}")
        return replace(self, body_text=bodies.text, body_markdown=bodies.markdown, body_html=bodies.html,
                       event=bodies.event, rendered_now=self.body_text is None and bodies.text is not None)

    @classmethod
    def of(cls, row, channel: Channel | None) -> Claimed:
        """From a notification (row or object) and its channel, if it has one."""
        return cls(
            id=row.id, office_id=row.office_id, channel_type=row.channel_type, target=row.target, kind=row.kind,
            subject=row.subject, body_text=row.body_text, body_markdown=row.body_markdown,
            body_html=row.body_html, event=row.event, mentions=row.mentions, attempts=row.attempts,
            created_at=row.created_at, template=row.template, template_context=row.template_context,
            secret=channel.secret if channel else None,
            channel_mentions=list(channel.mentions or []) if channel else [],
        )

    def message(self) -> Message:
        return Message(
            id=message_id(self.id),
            subject=self.subject,
            text=self.body_text or "",
            markdown=self.body_markdown,
            html=self.body_html,
            event=self.event or {},
            mentions=tuple(self.mentions or ()),
        )

    def target_for(self) -> Target:
        return Target(
            channel_type=self.channel_type,
            address=self.target,
            secret=self.secret,
            mentions=tuple(self.channel_mentions or ()),
        )


@dataclass
class Outcome:
    claimed: Claimed
    result: DeliveryResult
    started_at: datetime
    finished_at: datetime


def message_id(notification_id: int) -> str:
    """The same on every attempt: it is the webhook-id and the email Message-ID,
    so a receiver can drop the duplicate a lease expiry may cause."""
    return f"notification-{notification_id}"


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff_seconds(attempts: int, options: DispatchOptions, rng: random.Random) -> float:
    """Exponential backoff with jitter: half fixed, half random, so retries of
    many rows that failed together spread out instead of returning in step."""
    ceiling = min(options.backoff_cap_seconds, options.backoff_base_seconds * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


# --- claim ---------------------------------------------------------------------


def _still_holds(event: dict, open_versions: dict[int, int]) -> bool:
    """A notice about milestones (a reminder of the scan lists them in its event)
    holds while one of them is still open at the same due version."""
    listed = (event or {}).get("milestones")
    if not listed:
        return True
    return any(open_versions.get(item.get("id")) == item.get("due_version") for item in listed)


def _open_versions(session: Session, claimed: list[Claimed]) -> dict[int, int]:
    ids = {
        item.get("id")
        for row in claimed
        for item in (row.event or {}).get("milestones", [])
    }
    if not ids:
        return {}
    rows = session.execute(
        select(Milestone.id, Milestone.due_version).where(
            Milestone.id.in_(ids), Milestone.state.in_(OPEN_STATES)
        )
    )
    return {milestone_id: version for milestone_id, version in rows}


def _lock_robot(session: Session, channel_type: str, target: str) -> None:
    """Serialise the rate-limit check of one robot across replicas."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"{channel_type}\n{target}".encode("utf-8"))
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    # SQLite: the claim transaction already holds the database write lock.


def _admit_by_rate_limit(
    session: Session, claimed: list[Claimed], now: datetime
) -> tuple[list[Claimed], dict[int, datetime]]:
    """Admit what each robot's per-minute limit allows; the rest is deferred
    to when its window frees a slot. The window is counted over SendSlot rows
    in the database, so it holds however many replicas dispatch."""
    groups: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
    admitted: list[Claimed] = []
    for row in claimed:
        limit = channel_rate_limit(row.channel_type)
        if limit is None:
            admitted.append(row)
        else:
            groups[(row.channel_type, row.target)].append(row)
    deferred: dict[int, datetime] = {}
    window_start = now - RATE_WINDOW
    # Locks are taken in one global order so two claimers cannot deadlock.
    for (channel_type, target), rows in sorted(groups.items()):
        limit = channel_rate_limit(channel_type)
        _lock_robot(session, channel_type, target)
        robot = (SendSlot.channel_type == channel_type, SendSlot.target == target)
        session.execute(delete(SendSlot).where(*robot, SendSlot.sent_at <= window_start))
        recent = list(
            session.scalars(select(SendSlot.sent_at).where(*robot).order_by(SendSlot.sent_at))
        )
        free = max(limit - len(recent), 0)
        take, wait = rows[:free], rows[free:]
        if take:
            session.execute(
                insert(SendSlot),
                [{"channel_type": channel_type, "target": target, "sent_at": now} for _ in take],
            )
            admitted.extend(take)
        if wait:
            frees_at = (recent[0] if recent else now) + RATE_WINDOW
            for row in wait:
                deferred[row.id] = frees_at
    return admitted, deferred


def claim_batch(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    worker: str,
    now: datetime,
    options: DispatchOptions,
) -> tuple[list[Claimed], dict[str, int]]:
    """Claim up to batch_size due rows; returns the rows to send now and counts
    of what was settled without sending (cancelled, deferred). Digests queued
    without bodies are rendered here, and their bodies stored: the row keeps
    what went out."""
    counts = {"cancelled": 0, "deferred": 0, "lease_expired": 0}
    with transaction(session_factory) as session:
        picked = _pick_due(session, now, options.batch_size)
        if not picked:
            return [], counts
        leased = _lease(session, [row.id for row in picked], worker, now + timedelta(seconds=options.lease_seconds))
        counts["lease_expired"] = _note_expired_leases(session, picked, worker=worker, now=now)
        claimed, cancelled = _sendable(session, leased)
        if cancelled:
            _settle_cancelled(session, cancelled, worker=worker, now=now)
            counts["cancelled"] = len(cancelled)
        admitted, deferred = _admit_by_rate_limit(session, claimed, now)
        if deferred:
            counts["deferred"] = len(deferred)
            _defer(session, deferred, {row.id: row.attempts for row in claimed})
    # Rendered outside the claim's transaction: on SQLite it holds the write lock.
    return [row.rendered(settings) for row in admitted], counts


def _pick_due(session: Session, now: datetime, limit: int) -> list:
    """(id, status, leased_by) of the due rows, oldest first; other claimers' rows skipped."""
    due = (
        select(Notification.id, Notification.status, Notification.leased_by)
        .where(
            Notification.status.in_((PENDING, RETRY, SENDING)),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return session.execute(due).all()


def _lease(session: Session, ids: list[int], worker: str, lease_until: datetime) -> list:
    """Mark the rows as ours until lease_until; returns what sending them needs."""
    return session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(status=SENDING, lease_until=lease_until, leased_by=worker, next_attempt_at=lease_until)
        .returning(
            Notification.id, Notification.office_id, Notification.channel_id,
            Notification.channel_type, Notification.target, Notification.kind,
            Notification.subject, Notification.template, Notification.template_context,
            Notification.body_text, Notification.body_markdown,
            Notification.body_html, Notification.event, Notification.mentions,
            Notification.attempts, Notification.created_at,
        )
        .execution_options(synchronize_session=False)
    ).all()



def _attempt_rows(
    settled: list[tuple[int, str]], outcome: str, *, worker: str, now: datetime, words: str | None = None
) -> list[dict]:
    """Attempt history for rows settled at claim time, without a send; their details are
    the office's words unless `words` says otherwise."""
    return [
        {"notification_id": notification_id, "started_at": now, "finished_at": now, "outcome": outcome,
         "detail": detail, "words": words or detail, "worker": worker}
        for notification_id, detail in settled
    ]


def _note_expired_leases(session: Session, picked: list, *, worker: str, now: datetime) -> int:
    """A row still "sending" was leased by a worker that never reported back:
    its history says so before it is sent again."""
    expired = [
        (row.id, f"租约过期：工作进程 {row.leased_by} 未报告发送结果，重新发送")
        for row in picked
        if row.status == SENDING
    ]
    if expired:
        session.execute(insert(DeliveryAttempt), _attempt_rows(
            expired, RETRY, worker=worker, now=now, words="上次发送未报告结果，重新发送"
        ))
    return len(expired)


def _sendable(session: Session, leased: list) -> tuple[list[Claimed], list[tuple[int, str]]]:
    """Split the leased rows into those still worth sending and (id, reason)
    of those to cancel: disabled channel, empty body, reminder already answered."""
    channel_ids = {row.channel_id for row in leased if row.channel_id is not None}
    channels = {
        channel.id: channel
        for channel in session.scalars(select(Channel).where(Channel.id.in_(channel_ids)))
    } if channel_ids else {}
    claimed: list[Claimed] = []
    cancelled: list[tuple[int, str]] = []
    for row in leased:
        channel = channels.get(row.channel_id) if row.channel_id is not None else None
        if channel is not None and not channel.enabled:
            cancelled.append((row.id, "渠道已停用"))
        # A digest rendered at send time has items (delivery.service._outbox_row checks).
        elif row.template is None and not (row.body_text or "").strip():
            cancelled.append((row.id, "消息内容为空，不发送"))
        else:
            claimed.append(Claimed.of(row, channel))
    open_versions = _open_versions(session, claimed)
    holding = []
    for row in claimed:
        if not _still_holds(row.event, open_versions):
            cancelled.append((row.id, "相关节点已报送或已办结，提醒取消"))
        else:
            holding.append(row)
    return holding, cancelled


def _settle_cancelled(session: Session, cancelled: list[tuple[int, str]], *, worker: str, now: datetime) -> None:
    session.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id == bindparam("b_id"))
        .values(status=CANCELLED, lease_until=None, leased_by=None,
                last_error=bindparam("b_detail"), last_error_words=bindparam("b_detail")),
        [{"b_id": notification_id, "b_detail": detail} for notification_id, detail in cancelled],
    )
    session.execute(insert(DeliveryAttempt), _attempt_rows(cancelled, CANCELLED, worker=worker, now=now))


def _defer(session: Session, deferred: dict[int, datetime], attempts: dict[int, int]) -> None:
    """Hand rows back untouched but for their due time: waiting for a robot's
    window is not an attempt."""
    session.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id == bindparam("b_id"))
        .values(status=bindparam("b_status"), next_attempt_at=bindparam("b_next"),
                lease_until=None, leased_by=None),
        [
            {"b_id": notification_id, "b_next": when,
             "b_status": RETRY if attempts[notification_id] else PENDING}
            for notification_id, when in deferred.items()
        ],
    )


# --- record --------------------------------------------------------------------


def _classify(
    outcome: Outcome, options: DispatchOptions, rng: random.Random
) -> tuple[str, str, str, datetime | None]:
    """(status, detail, words, next_attempt_at) for one finished attempt."""
    result = outcome.result
    attempts = _counted_attempts(outcome)
    if isinstance(result, Sent):
        return SENT, result.detail or "sent", result.words, None
    if isinstance(result, PermanentFailure):
        return DEAD, result.reason, result.words, None
    if result.throttled:
        waited = outcome.finished_at - outcome.claimed.created_at
        if waited.total_seconds() > options.max_throttled_seconds:
            gave_up = f"接收方持续限流超过 {options.max_throttled_seconds / 3600:g} 小时"
            return DEAD, f"{gave_up}：{result.reason}", f"{gave_up}，已停止发送", None
    elif attempts >= options.max_attempts:
        gave_up = f"已重试 {attempts} 次仍失败"
        return DEAD, f"{gave_up}：{result.reason}", f"{gave_up}：{result.words.removesuffix('，系统将稍后重试')}", None
    delay = result.seconds if result.seconds is not None else backoff_seconds(attempts, options, rng)
    return RETRY, result.reason, result.words, outcome.finished_at + timedelta(seconds=delay)


def _counted_attempts(outcome: Outcome) -> int:
    """Attempts toward max_attempts: a throttled answer is not a failure."""
    throttled = isinstance(outcome.result, RetryAfter) and outcome.result.throttled
    return outcome.claimed.attempts + (0 if throttled else 1)


def record_outcomes(
    session_factory: sessionmaker[Session],
    outcomes: list[Outcome],
    *,
    worker: str,
    options: DispatchOptions,
    rng: random.Random,
) -> dict[str, int]:
    """Write the attempts and the rows' new states, in one transaction, for the
    rows whose lease is still ours."""
    counts = {SENT: 0, RETRY: 0, DEAD: 0, "lost_lease": 0}
    if not outcomes:
        return counts
    ours = (
        NOTIFICATIONS.c.id == bindparam("b_id"),
        NOTIFICATIONS.c.leased_by == worker,
        NOTIFICATIONS.c.status == SENDING,
    )
    routine: list[dict] = []
    dead: list[tuple[Outcome, str, str]] = []
    attempts: list[dict] = []
    # Bodies rendered by this worker are stored with the outcome, so the row keeps what went
    # out (its event is not: its links are signed the same way whenever it is read).
    rendered = [
        {"b_id": o.claimed.id, "b_text": o.claimed.body_text, "b_markdown": o.claimed.body_markdown,
         "b_html": o.claimed.body_html}
        for o in outcomes if o.claimed.rendered_now
    ]
    for outcome in outcomes:
        status, detail, words, next_at = _classify(outcome, options, rng)
        attempts.append({
            "notification_id": outcome.claimed.id, "started_at": outcome.started_at,
            "finished_at": outcome.finished_at, "outcome": status, "detail": detail[:2000], "words": words,
            "worker": worker,
        })
        if status == DEAD:
            dead.append((outcome, detail, words))
            continue
        routine.append({
            "b_id": outcome.claimed.id,
            "b_status": status,
            "b_attempts": _counted_attempts(outcome),
            # A sent row is never due again; keep the column non-null.
            "b_next": next_at or outcome.finished_at,
            "b_sent_at": outcome.finished_at if status == SENT else None,
            "b_error": None if status == SENT else detail[:2000],
            "b_words": None if status == SENT else words,
        })
        counts[status] += 1
    with transaction(session_factory) as session:
        if rendered:
            session.execute(
                update(NOTIFICATIONS).where(*ours).values(
                    body_text=bindparam("b_text"), body_markdown=bindparam("b_markdown"),
                    body_html=bindparam("b_html"),
                ),
                rendered,
            )
        if routine:
            session.execute(
                update(NOTIFICATIONS).where(*ours).values(
                    status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                    next_attempt_at=bindparam("b_next"), sent_at=bindparam("b_sent_at"),
                    last_error=bindparam("b_error"), last_error_words=bindparam("b_words"),
                    lease_until=None, leased_by=None,
                ),
                routine,
            )
        session.execute(insert(DeliveryAttempt), attempts)
        for outcome, detail, words in dead:
            settled = _settle_dead(session, ours, outcome, detail, words)
            counts[DEAD if settled else "lost_lease"] += 1
    return counts


def _settle_dead(session: Session, ours: tuple, outcome: Outcome, detail: str, words: str) -> bool:
    """Mark one row dead and alert its office, if the row is still ours; row by
    row, so only rows this worker really settled raise an alert."""
    changed = session.execute(
        update(NOTIFICATIONS).where(*ours).values(
            status=DEAD, attempts=_counted_attempts(outcome), last_error=detail[:2000], last_error_words=words,
            next_attempt_at=outcome.finished_at, lease_until=None, leased_by=None,
        ),
        {"b_id": outcome.claimed.id},
    ).rowcount
    if changed:
        alert_office(
            session, session.get(Notification, outcome.claimed.id), detail, words=words, now=outcome.finished_at
        )
    return bool(changed)


# --- run -----------------------------------------------------------------------


async def send_one(notifiers: dict[str, Notifier], claimed: Claimed) -> DeliveryResult:
    if claimed.render_error:
        return PermanentFailure(f"rendering failed: {claimed.render_error}", "消息内容生成失败，未发送")
    notifier = notifiers.get(claimed.channel_type)
    if notifier is None:
        return PermanentFailure(f"unknown channel type {claimed.channel_type!r}", "该渠道类型已不受支持")
    try:
        return await notifier.send(claimed.message(), claimed.target_for())
    except Exception as exc:  # a notifier bug must not take the batch down with it
        log.exception("notifier %s failed on notification %s", claimed.channel_type, claimed.id)
        return RetryAfter(None, f"internal error: {type(exc).__name__}", words="系统内部出错，将稍后重试")


class _DispatchRun:
    """One run of the pipeline: a claimer feeds a queue, senders drain it,
    finished outcomes are recorded a batch per transaction."""

    def __init__(self, session_factory, settings, notifiers, *, worker, clock, options, rng):
        self.session_factory, self.settings, self.notifiers = session_factory, settings, notifiers
        self.worker, self.clock, self.options, self.rng = worker, clock, options, rng
        self.summary = {"worker": worker, "claimed": 0, SENT: 0, RETRY: 0, DEAD: 0,
                        "cancelled": 0, "deferred": 0, "lease_expired": 0, "lost_lease": 0}
        self.queue: asyncio.Queue[Claimed | None] = asyncio.Queue(maxsize=options.batch_size)
        self.finished: list[Outcome] = []
        self.record_lock = asyncio.Lock()
        self.recorded_since_claim = 0

    def count(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.summary[key] += value

    async def record(self, force: bool = False) -> None:
        """Record the finished outcomes once a batch is full (or now, when forced)."""
        async with self.record_lock:
            if not self.finished or (not force and len(self.finished) < self.options.batch_size):
                return
            batch = self.finished[:]
            self.finished.clear()
            self.count(await asyncio.to_thread(
                record_outcomes, self.session_factory, batch,
                worker=self.worker, options=self.options, rng=self.rng,
            ))
            self.recorded_since_claim += len(batch)

    async def claim_until_done(self) -> None:
        """Claim batches until nothing is due and recording the last sends added nothing."""
        try:
            while True:
                self.recorded_since_claim = 0
                claimed, counts = await asyncio.to_thread(
                    claim_batch, self.session_factory, self.settings, worker=self.worker, now=self.clock(),
                    options=self.options,
                )
                self.count(counts)
                if claimed or any(counts.values()):
                    self.summary["claimed"] += len(claimed)
                    for row in claimed:
                        await self.queue.put(row)
                    continue
                # Recording what is still in flight can enqueue more (office
                # alerts about dead rows); those go out in this same run.
                await self.queue.join()
                await self.record(force=True)
                if not self.recorded_since_claim:
                    return
        finally:
            for _ in range(self.options.concurrency):
                await self.queue.put(None)

    async def send_until_stopped(self) -> None:
        while (claimed := await self.queue.get()) is not None:
            try:
                started = self.clock()
                result = await send_one(self.notifiers, claimed)
                self.finished.append(Outcome(claimed, result, started, self.clock()))
                if len(self.finished) >= self.options.batch_size:
                    await self.record()
            finally:
                self.queue.task_done()


async def dispatch(
    session_factory: sessionmaker[Session],
    settings: Settings,
    notifiers: dict[str, Notifier],
    *,
    worker: str,
    clock: Callable[[], datetime],
    options: DispatchOptions,
    rng: random.Random | None = None,
) -> dict:
    """Deliver everything that is due, then return a summary."""
    run = _DispatchRun(session_factory, settings, notifiers, worker=worker, clock=clock, options=options,
                       rng=rng or random.Random())
    senders = [asyncio.create_task(run.send_until_stopped()) for _ in range(options.concurrency)]
    try:
        await run.claim_until_done()
        await asyncio.gather(*senders)
    finally:
        for task in senders:
            task.cancel()
        await run.record(force=True)
    return run.summary


def dispatch_once(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    worker: str | None = None,
    *,
    options: DispatchOptions | None = None,
) -> dict:
    """Deliver what is due (as of `now`, or the real time) and return a summary:
    what `duban dispatch --once` and the scheduler run."""
    options = options or DispatchOptions()
    config = notifier_config(settings)
    clock = (lambda: now) if now is not None else (lambda: datetime.now(timezone.utc))

    async def run() -> dict:
        limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=config.timeout_seconds) as client:
            return await dispatch(
                session_factory, settings, build_notifiers(config, client),
                worker=worker or default_worker_name(), clock=clock, options=options,
            )

    return asyncio.run(run())


# --- test message ----------------------------------------------------------------


def send_test_message(
    session: Session, actor: Actor, settings: Settings, channel_id: int, *, now: datetime
) -> tuple[Notification, DeliveryAttempt]:
    """Send a test message to a channel right now and keep it (and its one
    attempt) like any other notification. Test messages are not retried: the
    person who asked sees the result at once.

    Commits the caller's transaction before sending and records the result in
    a new one: a slow robot must not hold the database for up to the HTTP
    timeout (on SQLite that is the write lock every other request waits for).
    """
    worker = f"api:{actor.username}"
    notification, claimed = _lease_test_message(session, actor, settings, channel_id, worker=worker, now=now)
    session.commit()
    started = datetime.now(timezone.utc)
    result = _send_now(settings, claimed)
    finished = datetime.now(timezone.utc)
    attempt = _record_test_result(session, notification, result, worker=worker, started=started, finished=finished)
    return notification, attempt


def _lease_test_message(
    session: Session, actor: Actor, settings: Settings, channel_id: int, *, worker: str, now: datetime
) -> tuple[Notification, Claimed]:
    """The test notification, leased like a claimed row so no dispatcher picks
    it up while we send; RateLimited when the robot's window is full."""
    channel = get_channel(session, actor, channel_id)
    actor.require_admin_of(channel.office_id)
    department = session.get(Department, channel.department_id) if channel.department_id else None
    rendered = render(KIND_TEST, {
        "office_name": session.get(Office, channel.office_id).name,
        "channel_label": channel_label(channel.type),
        "department_name": department.name if department else "领导小组办公室",
        "sent_at": now.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
    })
    notification = enqueue(
        session, office_id=channel.office_id, department_id=channel.department_id, channel_id=channel.id,
        channel_type=channel.type, target=channel.target, kind=KIND_TEST, level=None,
        subject=rendered.subject, body_text=rendered.text, body_markdown=rendered.markdown,
        body_html=rendered.html, event={"type": KIND_TEST, "channel_id": channel.id}, mentions=[], now=now,
    )
    notification.status = SENDING
    notification.leased_by = worker
    notification.lease_until = notification.next_attempt_at = now + TEST_MESSAGE_LEASE
    session.flush()
    claimed = Claimed.of(notification, channel)
    admitted, _ = _admit_by_rate_limit(session, [claimed], now)
    if not admitted:
        raise RateLimited(
            f"{channel_label(channel.type)}每分钟最多发送 {channel_rate_limit(channel.type)} 条消息，请稍后再试"
        )
    return notification, claimed


def _send_now(settings: Settings, claimed: Claimed) -> DeliveryResult:
    config = notifier_config(settings)

    async def run() -> DeliveryResult:
        async with httpx.AsyncClient(timeout=config.timeout_seconds) as client:
            return await send_one(build_notifiers(config, client), claimed)

    return asyncio.run(run())


def _record_test_result(
    session: Session, notification: Notification, result: DeliveryResult, *, worker: str,
    started: datetime, finished: datetime,
) -> DeliveryAttempt:
    sent = isinstance(result, Sent)
    detail = result.detail if sent else result.reason
    notification.status = SENT if sent else DEAD
    notification.attempts = 1
    notification.lease_until = notification.leased_by = None
    notification.next_attempt_at = finished
    notification.sent_at = finished if sent else None
    notification.last_error = None if sent else detail
    notification.last_error_words = None if sent else result.words
    attempt = DeliveryAttempt(
        notification_id=notification.id, started_at=started, finished_at=finished,
        outcome=notification.status, detail=detail or notification.status, words=result.words, worker=worker,
    )
    session.add(attempt)
    session.flush()
    return attempt
