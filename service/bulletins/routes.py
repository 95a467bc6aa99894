"""The documents API: bulletin drafts, issuing them as 第N期, and 督办单 for one item."""

from datetime import date, datetime
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.bulletins import service
from service.bulletins.models import SupervisionNotice
from service.dependencies import ActorDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.flows import supervision
from service.ids import Id
from service.text import Line, Text

router = APIRouter(tags=["bulletins"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """A download named in Chinese: RFC 5987 filename* beside an ASCII fallback."""
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"download.{filename.rsplit('.', 1)[-1]}\"; "
                               f"filename*=UTF-8''{quote(filename)}",
    })


class DraftIn(BaseModel):
    plan_id: Id
    month: Line | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class DraftEdit(BaseModel):
    narrative: Text = Field(default="", max_length=service.TEXT_LIMIT)
    next_steps: Text = Field(default="", max_length=service.TEXT_LIMIT)


class BulletinOut(BaseModel):
    id: int
    plan_id: int
    period: str
    status: str
    year: int | None
    number: int | None
    issued_on: date | None
    narrative: str
    next_steps: str


class NoticeIn(BaseModel):
    colour: Literal["blue", "yellow", "red"]
    requirement: Text = Field(min_length=1, max_length=service.TEXT_LIMIT)
    answer_by: date
    send: bool = True


class NoticeOut(BaseModel):
    id: int
    assignment_id: int
    milestone_id: int
    department_id: int
    colour: str
    requirement: str
    answer_by: date
    sent: bool
    issued_at: datetime


def _out(document) -> BulletinOut:
    return BulletinOut.model_validate(document, from_attributes=True)


@router.post("/bulletin-documents", response_model=BulletinOut, status_code=201)
def create_draft(body: DraftIn, actor: ActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, now: NowDep):
    """The draft of a plan's 督办通报 for a month (the existing draft if there is one)."""
    return _out(service.create_draft(session, actor, body.plan_id, body.month, today=today, tz=settings.tz, now=now))


@router.patch("/bulletin-documents/{document_id}", response_model=BulletinOut)
def edit_draft(document_id: IdPath, body: DraftEdit, actor: ActorDep, session: SessionDep, now: NowDep):
    return _out(service.update_draft(session, actor, document_id, narrative=body.narrative,
                                     next_steps=body.next_steps, now=now))


@router.post("/bulletin-documents/{document_id}/issue", response_model=BulletinOut)
def issue(document_id: IdPath, actor: ActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, now: NowDep):
    """Issue the draft as the office's next 第N期 of the year: irreversible."""
    return _out(service.issue(session, actor, document_id, today=today, tz=settings.tz, now=now))


@router.get("/bulletin-documents/{document_id}.docx")
def bulletin_docx(document_id: IdPath, actor: ActorDep, session: SessionDep):
    document = service.get_document(session, actor, document_id)
    return attachment(*service.issued_file(session, document), DOCX)


@router.post("/assignments/{assignment_id}/supervision-notices", response_model=NoticeOut, status_code=201)
def issue_notice(assignment_id: IdPath, body: NoticeIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, now: NowDep):
    """Issue a 三色督办单 for the item; counts as the item's manual 催办 of the day."""
    notice = supervision.issue_notice(session, settings, actor, assignment_id, colour=body.colour,
                                      requirement=body.requirement, answer_by=body.answer_by, send=body.send, now=now)
    return NoticeOut.model_validate(notice, from_attributes=True)


@router.get("/supervision-notices/{notice_id}.docx")
def notice_docx(notice_id: IdPath, actor: ActorDep, session: SessionDep):
    notice: SupervisionNotice = service.get_notice(session, actor, notice_id)
    return attachment(notice.document, service.notice_filename(notice), DOCX)
