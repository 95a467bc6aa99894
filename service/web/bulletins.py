"""督办通报: a printable progress bulletin per plan and month, and its .xlsx export."""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from service.dependencies import IdPath, SessionDep, SettingsDep, TodayDep
from service.errors import Forbidden, Invalid
from service.milestones import stats
from service.plans.service import get_plan
from service.web.lookups import department_names, load_milestones
from service.web.render import render
from service.web.session import PageActorDep
from service.xlsx import workbook_bytes

router = APIRouter()


@dataclass
class Bulletin:
    plan: object
    period: str  # YYYY-MM
    as_of: date
    completion: stats.Completion
    counts: dict[str, int]
    approved_in_period: int
    ranking: list[stats.DepartmentRank]
    overdue: list[stats.Overdue]
    names: dict[int, str]


def _period(month: str | None, today: date) -> tuple[str, date, date]:
    try:
        year, number = (int(x) for x in (month or f"{today:%Y-%m}").split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise Invalid("期次应为 YYYY-MM，例如 2018-03") from None
    last = date(year, number, month_calendar.monthrange(year, number)[1])
    return f"{first:%Y-%m}", first, min(last, today)


def build_bulletin(session, actor, plan_id: int, month: str | None, today: date, tz) -> Bulletin:
    if actor.is_department:
        raise Forbidden("督办通报由领导小组办公室发布，单位用户请在待办中查看本单位事项")
    plan = get_plan(session, actor, plan_id)
    period, first, as_of = _period(month, today)
    facts = stats.as_of(stats.milestone_facts(session, actor, plan_id=plan.id), as_of, tz)
    approved_in_period = sum(
        1 for f in facts if f.approved_at and first <= f.approved_at.astimezone(tz).date() <= as_of
    )
    return Bulletin(
        plan=plan,
        period=period,
        as_of=as_of,
        completion=stats.plan_completion(facts).get(plan.id, stats.Completion(0, 0)),
        counts=stats.light_counts(facts, as_of),
        approved_in_period=approved_in_period,
        ranking=stats.department_ranking(facts, as_of, tz),
        overdue=stats.overdue_list(facts, as_of),
        names=department_names(session, actor),
    )


@router.get("/bulletins/{plan_id}.xlsx")
def bulletin_xlsx(plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, month: str | None = None):
    b = build_bulletin(session, actor, plan_id, month, today, settings.tz)
    milestones = load_milestones(session, [o.fact.id for o in b.overdue])
    book = Workbook()
    sheet = book.active
    sheet.title = "单位排名"
    sheet.append([f"{b.plan.title} 督办通报（{b.period}，截至 {b.as_of}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"完成度 {b.completion.percent}%（{b.completion.approved}/{b.completion.total}），本期办结 {b.approved_in_period}，逾期 {len(b.overdue)}"])
    sheet.append([])
    sheet.append(["排名", "单位", "按时完成率", "逾期数", "已办结", "节点总数"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for index, r in enumerate(b.ranking, start=1):
        sheet.append([index, b.names.get(r.department_id, ""), r.on_time_rate, r.overdue, r.approved, r.total])
        sheet.cell(sheet.max_row, 3).number_format = "0%"
    for column, width in zip("ABCDEF", (6, 28, 12, 10, 10, 10)):
        sheet.column_dimensions[column].width = width
    late = book.create_sheet("逾期事项")
    late.append(["单位", "计划任务", "措施", "阶段", "完成时限", "逾期天数"])
    for cell in late[1]:
        cell.font = Font(bold=True)
    for o in b.overdue:
        m = milestones[o.fact.id]
        measure = m.assignment.measure
        late.append([
            b.names.get(o.fact.department_id, ""), measure.task.number if measure.task else "", measure.text,
            m.phase.name if m.phase else "措施时限", o.fact.due_date, o.days_late,
        ])
        late.cell(late.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEF", (24, 10, 60, 14, 12, 10)):
        late.column_dimensions[column].width = width
    filename = f"督办通报-{b.plan.id}-{b.period}.xlsx"
    return Response(
        workbook_bytes(book),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/bulletins/{plan_id}")
def bulletin_page(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, month: str | None = None):
    b = build_bulletin(session, actor, plan_id, month, today, settings.tz)
    return render(
        request, "bulletin.html", {"b": b, "milestones": load_milestones(session, [o.fact.id for o in b.overdue])}
    )
