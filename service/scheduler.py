"""The background jobs `duban serve` runs: the reminder scan every minute,
the dispatcher every few seconds, the weekly bulletin on Monday mornings, and
every few minutes the plans' change counts folded (PostgreSQL appends them).

Every replica runs them all; correctness across replicas comes from the
database (unique reminder keys, leased outbox claims), not from electing one
scheduler.
"""

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from service.clock import Clock
from service.config import Settings
from service.delivery.dispatcher import default_worker_name, dispatch_once
from service.holidays.source import CalendarSource

log = logging.getLogger(__name__)

SCAN_INTERVAL_SECONDS = 60
DISPATCH_INTERVAL_SECONDS = 5
COMPACT_INTERVAL_SECONDS = 600


def build_scheduler(
    settings: Settings,
    session_factory: sessionmaker[Session],
    calendars: CalendarSource,
    clock: Clock,
) -> BackgroundScheduler:
    """A scheduler with the four jobs, not yet started."""
    worker = default_worker_name()

    def scan() -> None:
        from service.reminders.scan import run_scan

        now = clock.now()
        summary = run_scan(session_factory, settings, calendars.offices(now), now)
        log.info("reminder scan: %s", summary)

    def dispatch() -> None:
        summary = dispatch_once(session_factory, settings, now=clock.now(), worker=worker)
        if summary["claimed"] or summary["cancelled"] or summary["deferred"]:
            log.info("dispatch: %s", summary)

    def bulletin() -> None:
        from service.reminders.bulletin import send_weekly_bulletins

        now = clock.now()
        send_weekly_bulletins(session_factory, settings, calendars.current(now), now)

    def compact_versions() -> None:
        from service.plans.versions import compact

        with session_factory() as session:
            folded = compact(session)
            session.commit()
        if folded:
            log.info("plan change counts: %d rows folded", folded)

    scheduler = BackgroundScheduler(timezone=settings.tz)
    # A run that overlaps the next tick is skipped, not queued: the next run
    # picks up whatever the skipped one would have done.
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    scheduler.add_job(scan, IntervalTrigger(seconds=SCAN_INTERVAL_SECONDS), id="scan", **common)
    scheduler.add_job(dispatch, IntervalTrigger(seconds=DISPATCH_INTERVAL_SECONDS), id="dispatch", **common)
    scheduler.add_job(compact_versions, IntervalTrigger(seconds=COMPACT_INTERVAL_SECONDS), id="compact", **common)
    scheduler.add_job(
        bulletin,
        CronTrigger(day_of_week="mon", hour=settings.send_hour, minute=0, timezone=settings.tz),
        id="bulletin",
        **common,
    )
    return scheduler
