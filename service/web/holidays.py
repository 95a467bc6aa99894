"""节假日安排: every logged-in user reads the holiday schedule; a top-level
office's admin pastes a year's days and saves them."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.dependencies import CalendarSourceDep, NowDep, SessionDep, TodayDep
from service.errors import DomainError, NotFound
from service.holidays import service
from service.holidays.source import CalendarSource
from service.web.actions import form_int
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
YEARS_SHOWN = 3  # this year and the next two
KIND_LABELS = {"holiday": "放假", "workday": "调休上班"}
SOURCE_LABELS = {
    service.SOURCE_DATABASE: "本系统录入",
    service.SOURCE_FILE: "配置文件",
    service.SOURCE_PACKAGE: "内置日历",
}
WEEKDAYS = "一二三四五六日"


def _page(request: Request, session, actor, year: int, source: CalendarSource, now, today, *,
          text: str | None = None, error: str | None = None, status_code: int = 200) -> Response:
    schedule = service.year_schedule(session, year, source.file_entries)
    calendar = source.current(now)
    years = [(y, calendar.covers(y)) for y in range(today.year, today.year + YEARS_SHOWN)]
    if text is None:
        text = "\n".join(f"{d.day.isoformat()},{KIND_LABELS[d.kind]},{d.name}" for d in schedule.entered)
    return render(
        request,
        "holidays.html",
        {
            "year": year,
            "years": years,
            "schedule": schedule,
            "can_edit": service.may_edit(session, actor),
            "text": text,
            "error": error,
            "kind_labels": KIND_LABELS,
            "source_labels": SOURCE_LABELS,
            "weekdays": WEEKDAYS,
        },
        status_code=status_code,
    )


@router.get("/holidays")
def holidays_page(request: Request, actor: PageActorDep, session: SessionDep, source: CalendarSourceDep,
                  now: NowDep, today: TodayDep):
    year = form_int(request.query_params.get("year"), today.year)
    _check_year(year)
    return _page(request, session, actor, year, source, now, today)


def _check_year(year: int) -> None:
    if not service.YEAR_MIN <= year <= service.YEAR_MAX:
        raise NotFound("没有该年份的节假日安排")


@router.post("/holidays/{year}")
def save_year(request: Request, year: int, actor: PageActorDep, session: SessionDep, now: NowDep,
              source: CalendarSourceDep, today: TodayDep):
    _check_year(year)
    service.require_editor(session, actor)  # before the text is read: a refusal says nothing about it
    text = str(request.state.form.get("text") or "")
    try:
        replaced = service.replace_year(session, actor, year, service.entries_from_text(text, year), now=now)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, actor, year, source, now, today, text=text, error=exc.message,
                     status_code=exc.status_code)
    # Committed before the calendar is reread, so this process counts with the new days at once.
    session.commit()
    source.changed()
    if not replaced.changed:
        return redirect(request, f"/holidays?year={year}", f"{year}年节假日安排没有变化")
    return redirect(
        request, f"/holidays?year={year}",
        f"已保存{year}年节假日安排（共 {replaced.days} 天），受影响的节点将在下一次扫描时按新日历重新安排提醒",
    )
