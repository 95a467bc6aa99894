"""指标 on the plan page and the bulletin: targets, latest actuals, progress, and
the form a department (or the office) files a reading with.

The plan and bulletin pages belong to other modules; they only include
templates/web/_indicators.html, which asks `indicator_view(plan, actor)` for
its rows. The view reads through the plan's own session, still open while the
page renders, so those pages' routes need no change.
"""

from dataclasses import dataclass
from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy.orm import object_session

from service.auth.actor import Actor
from service.dependencies import IdPath, NowDep, SessionDep
from service.errors import NotFound
from service.indicators import service
from service.plans.models import Plan
from service.web.actions import form_int, run_action
from service.web.charts import CHART_GREEN, CHART_RED, MUTED
from service.web.lookups import department_names
from service.web.render import templates
from service.web.session import PageActorDep

router = APIRouter()
BAR_WIDTH, BAR_HEIGHT = 120, 10


@dataclass(frozen=True)
class IndicatorRow:
    status: service.IndicatorStatus
    department: str
    light: str  # green / red / grey
    light_text: str
    can_report: bool


@dataclass(frozen=True)
class IndicatorView:
    rows: list[IndicatorRow]

    @property
    def reportable(self) -> list[IndicatorRow]:
        return [row for row in self.rows if row.can_report]


def progress_bar(status: service.IndicatorStatus) -> Markup:
    """A bar as wide as the share of the way to the target, green when on pace."""
    share = status.progress or 0.0
    colour = {True: CHART_GREEN, False: CHART_RED}.get(status.on_track, MUTED)
    label = "—" if status.progress is None else f"{round(share * 100)}%"
    return Markup(
        f'<svg class="indicator-bar" width="{BAR_WIDTH + 40}" height="{BAR_HEIGHT}" role="img" aria-label="进度 {label}">'
        f'<rect width="{BAR_WIDTH}" height="{BAR_HEIGHT}" rx="3" fill="#e6eaee"/>'
        f'<rect width="{BAR_WIDTH * share:.1f}" height="{BAR_HEIGHT}" rx="3" fill="{colour}"/>'
        f'<text x="{BAR_WIDTH + 6}" y="{BAR_HEIGHT}" font-size="11" fill="{MUTED}">{label}</text></svg>'
    )


def _can_report(actor: Actor, plan: Plan, department_id: int | None) -> bool:
    if actor.is_admin:
        return actor.office_id == plan.office_id
    return actor.is_department and department_id is not None and department_id == actor.department_id


def indicator_view(plan: Plan, actor: Actor) -> IndicatorView:
    session = object_session(plan)
    try:
        plan, indicators = service.list_indicators(session, actor, plan.id)
    except NotFound:
        return IndicatorView([])
    names = department_names(session, actor) if indicators else {}
    rows = []
    for status in service.statuses(session, plan, indicators):
        department_id = status.indicator.department_id
        colour, text = service.light_of(status)
        rows.append(
            IndicatorRow(status, names.get(department_id, "未指定"), colour, text, _can_report(actor, plan, department_id))
        )
    return IndicatorView(rows)


templates.env.globals.update(
    indicator_view=indicator_view, indicator_bar=progress_bar, indicator_target=service.target_text
)
templates.env.filters.update(figure=service.figure)


@router.post("/plans/{plan_id}/indicator-readings")
def file_reading(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    indicator_id = form_int(form.get("indicator"))
    indicator = service.get_indicator(session, actor, indicator_id) if indicator_id else None
    if indicator is None or indicator.plan_id != plan_id:
        raise NotFound(f"计划 {plan_id} 中没有该指标")
    return run_action(
        request, session,
        lambda: service.add_reading(
            session, actor, indicator.id, value=form.get("value"), as_of=form.get("as_of"), note=form.get("note"),
            now=now,
        ),
        ok=f"已报送“{indicator.name}”的实际值", back=f"/plans/{plan_id}#indicators",
    )
