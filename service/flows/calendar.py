"""A holiday schedule change: the new days, then the open milestones whose
reminders the moved workdays could shift marked for the next scan, which works
out their next reminder on the new calendar."""

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.holidays import service as holidays
from service.milestones import events
from service.workdays import DayEntry

# Milestones re-timed around the moved dates. The default ladder spans T-7 to
# T+7 workdays (three to four weeks with a Spring Festival week in between);
# 60 days leaves room for longer custom ladders without working out every
# plan's policy. Repeating escalations, early warnings and progress requests are
# caught by their next reminder time falling in the same window.
RETIME_MARGIN = timedelta(days=60)


def replace_year(
    session: Session, actor: Actor, year: int, entries: list[DayEntry], *, now: datetime, local: bool = False
) -> holidays.Replaced:
    """Make the entered days of `year` exactly `entries` (none: clear the year):
    the national schedule's, or with `local` the actor's office's own days."""
    replaced = holidays.replace_year(session, actor, year, entries, now=now, local=local)
    if not replaced.moved:
        return replaced
    first, last = min(replaced.moved) - RETIME_MARGIN, max(replaced.moved) + RETIME_MARGIN
    return replace(replaced, retimed=events.rescan_around(session, first, last, now=now, office_ids=replaced.offices))
