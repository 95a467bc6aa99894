"""节假日安排: every logged-in user reads the holiday schedule; the deployment's
operator pastes a year's days and saves them."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.dependencies import CalendarSourceDep, NowDep, SessionDep, TodayDep
from service.errors import DomainError, NotFound
from service.flows.calendar import replace_year
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


def _lines(days) -> str:
    return "\n".join(f"{d.day.isoformat()},{KIND_LABELS[d.kind]},{d.name}" for d in days)


def _page(request: Request, session, actor, year: int, source: CalendarSource, now, today, *,
          text: str | None = None, error: str | None = None, local_text: str | None = None,
          local_error: str | None = None, status_code: int = 200) -> Response:
    schedule = service.year_schedule(session, year, source.file_entries)
    local_days = service.entered_days(session, year, actor.office_id) if actor.is_admin else []
    calendar = source.current(now)
    years = [(y, calendar.covers(y)) for y in range(today.year, today.year + YEARS_SHOWN)]
    if text is None:
        text = _lines(schedule.entered)
    return render(
        request,
        "holidays.html",
        {
            "year": year,
            "years": years,
            "schedule": schedule,
            "can_edit": service.may_edit(actor),
            "text": text,
            "error": error,
            "local_days": local_days,
            "local_text": _lines(local_days) if local_text is None else local_text,
            "local_error": local_error,
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
    service.require_editor(actor)  # before the text is read: a refusal says nothing about it
    text = str(request.state.form.get("text") or "")
    try:
        replaced = replace_year(session, actor, year, service.entries_from_text(text, year), now=now)
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


@router.post("/holidays/{year}/office")
def save_office_year(request: Request, year: int, actor: PageActorDep, session: SessionDep, now: NowDep,
                     source: CalendarSourceDep, today: TodayDep):
    """The admin's office's own days off of the year (for it and its child offices)."""
    _check_year(year)
    actor.require_admin()
    text = str(request.state.form.get("text") or "")
    try:
        replaced = replace_year(session, actor, year, service.entries_from_text(text, year), now=now,
                                        local=True)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, actor, year, source, now, today, local_text=text, local_error=exc.message,
                     status_code=exc.status_code)
    session.commit()
    source.changed()
    return redirect(request, f"/holidays?year={year}#office",
                    f"已保存本办公室{year}年的本地放假安排（共 {replaced.days} 天），对本办公室及下级办公室生效")
