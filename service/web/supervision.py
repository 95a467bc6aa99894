"""三色督办单 pages: the office fills and previews a 督办单 for an item, confirms
and issues it; the issued sheet prints on one page and downloads as .docx. A unit
sees the 督办单 issued to it, never another unit's."""

from fastapi import APIRouter, Request

from service.bulletins import service
from service.bulletins.models import NOTICE_COLOURS
from service.bulletins.routes import DOCX, attachment
from service.dependencies import CalendarDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.errors import DomainError, Forbidden, NotFound
from service.flows import supervision
from service.milestones import assignments
from service.web.actions import confirmed
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()


def _form(request: Request, session, actor, assignment_id: int, today, calendar, typed: dict | None,
          error: str | None = None, status_code: int = 200):
    item = assignments.get_work_item(session, actor, assignment_id)
    actor.require_admin_of(item.assignment.measure.plan.office_id)
    proposed = service.propose_colour(item, today)
    colour = (typed or {}).get("colour") or proposed
    values = {
        "colour": colour,
        "requirement": (typed or {}).get("requirement") or service.DEFAULT_REQUIREMENTS.get(colour, ""),
        "answer_by": (typed or {}).get("answer_by") or calendar.add_workdays(today, service.ANSWER_WORKDAYS).isoformat(),
        "send": (typed or {}).get("send", "1"),
    }
    preview = None
    if error is None:
        try:
            preview = service.notice_fields(session, item, colour=values["colour"], requirement=values["requirement"],
                                            answer_by=values["answer_by"], today=today)
        except DomainError as exc:
            error, status_code = exc.message, 422
    return render(request, "supervision_form.html", {
        "a": item.assignment, "item": item, "values": values, "proposed": proposed, "colours": NOTICE_COLOURS,
        "preview": preview, "error": error,
    }, status_code=status_code)


@router.get("/assignments/{assignment_id}/supervision")
def notice_form(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep,
                calendar: CalendarDep, colour: str | None = None, requirement: str | None = None,
                answer_by: str | None = None, send: str | None = None):
    """The form with the colour proposed from the item's state, and the sheet as it would be issued."""
    typed = {"colour": colour, "requirement": requirement, "answer_by": answer_by}
    if colour is not None:
        typed["send"] = send or ""
    return _form(request, session, actor, assignment_id, today, calendar, typed)


@router.post("/assignments/{assignment_id}/supervision")
def issue_notice(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep,
                 calendar: CalendarDep, settings: SettingsDep, now: NowDep):
    form = request.state.form
    typed = {k: str(form.get(k) or "") for k in ("colour", "requirement", "answer_by", "send")}
    done = {}
    try:
        confirmed(request, lambda: done.setdefault("n", supervision.issue_notice(
            session, settings, actor, assignment_id, colour=typed["colour"], requirement=typed["requirement"],
            answer_by=typed["answer_by"], send=typed["send"] == "1", now=now,
        )), "开具督办单")()
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        return _form(request, session, actor, assignment_id, today, calendar, typed, exc.message, exc.status_code)
    notice = done["n"]
    sent = "，已发送至承办单位的接收渠道" if notice.sent else ""
    return redirect(request, f"/supervision-notices/{notice.id}", f"已开具{notice.fields['colour_label']}督办单{sent}")


@router.get("/supervision-notices/{notice_id}.docx")
def notice_docx(notice_id: IdPath, actor: PageActorDep, session: SessionDep):
    notice = service.get_notice(session, actor, notice_id)
    return attachment(notice.document, service.notice_filename(notice), DOCX)


# After the .docx route, which this path would otherwise catch as a bad id.
@router.get("/supervision-notices/{notice_id}")
def notice_page(request: Request, notice_id: IdPath, actor: PageActorDep, session: SessionDep):
    notice = service.get_notice(session, actor, notice_id)
    return render(request, "supervision_notice.html", {"n": notice, "f": notice.fields})
