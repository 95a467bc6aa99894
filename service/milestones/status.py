"""The status rules of a milestone, each in its Python form (one milestone or a
fact row) beside its SQL form (a query over the milestones table), so the two
cannot drift: overdue, and the status light (green, yellow, red, grey)."""

from datetime import date, timedelta

from sqlalchemy import ColumnElement, case, or_

from service.milestones.models import APPROVED, RETURNED, Milestone

GREEN = "green"
YELLOW = "yellow"
RED = "red"
GREY = "grey"
# Worst first: a group of milestones shows the worst light among them.
LIGHT_SEVERITY = (RED, YELLOW, GREY, GREEN)
LIGHT_LABELS = {GREEN: "已办结", YELLOW: "需关注", RED: "已逾期", GREY: "未到期"}
DUE_SOON_DAYS = 7


def is_overdue(state: str, due_date: date, today: date) -> bool:
    """Not approved and due before today (derived, never stored)."""
    return state != APPROVED and due_date < today


def overdue_sql(today: date) -> ColumnElement[bool]:
    return (Milestone.state != APPROVED) & (Milestone.due_date < today)


def status_light(state: str, due_date: date, today: date) -> str:
    """The light of one milestone, in this order of precedence:

    - green  (已办结): approved.
    - red    (已逾期): overdue.
    - yellow (需关注): not approved, not overdue, and either returned for rework
      or due within DUE_SOON_DAYS (7) calendar days, today included.
    - grey   (未到期): everything else — due later than that and not returned,
      whatever its state (not started, acknowledged, or submitted early).
    """
    if state == APPROVED:
        return GREEN
    if is_overdue(state, due_date, today):
        return RED
    if state == RETURNED or (due_date - today).days <= DUE_SOON_DAYS:
        return YELLOW
    return GREY


def light_severity_sql(today: date):
    """status_light as a CASE giving the light's place in LIGHT_SEVERITY (worst = lowest)."""
    return case(
        (Milestone.state == APPROVED, LIGHT_SEVERITY.index(GREEN)),
        (overdue_sql(today), LIGHT_SEVERITY.index(RED)),
        (
            or_(Milestone.state == RETURNED, Milestone.due_date <= today + timedelta(days=DUE_SOON_DAYS)),
            LIGHT_SEVERITY.index(YELLOW),
        ),
        else_=LIGHT_SEVERITY.index(GREY),
    )
