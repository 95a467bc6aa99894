"""考核 API: schemes, results (compute, enter, publish, correct) and reading them."""

from datetime import date
from decimal import Decimal

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.assessment import service
from service.assessment.documents import DOCX_TYPE, XLSX_TYPE, result_docx, result_xlsx, title_of
from service.assessment.models import AssessmentResult, AssessmentScheme
from service.dependencies import ActorDep, CalendarSourceDep, IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.ids import Id
from service.offices.models import Office
from service.text import Line, Text

router = APIRouter(prefix="/assessment", tags=["assessment"])


class ItemIn(BaseModel):
    kind: Line = Field(max_length=20)
    name: Line = Field(default="", max_length=200)
    weight: Decimal = Field(ge=0, le=10000)
    key: Line | None = Field(default=None, max_length=40)
    params: dict[Line, Decimal] = Field(default_factory=dict, max_length=20)


class SchemeIn(BaseModel):
    name: Line = Field(max_length=200)
    year: int | None = Field(default=None, ge=2000, le=2100)
    plan_id: Id | None = None
    total: Decimal = Field(default=Decimal(100), gt=0, le=10000)
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    grades: list[tuple[Line, Decimal]] | None = Field(default=None, max_length=10)


class ResultIn(BaseModel):
    scheme_id: Id
    period_start: date
    period_end: date


class EnteredIn(BaseModel):
    department_id: Id
    item_key: Line = Field(max_length=40)
    amount: Decimal = Field(ge=0, le=10000)
    reason: Text = Field(max_length=2000)
    evidence: Text = Field(default="", max_length=2000)


class PublishIn(BaseModel):
    ranking_public: bool = False


class CorrectionIn(BaseModel):
    department_id: Id
    item_key: Line = Field(max_length=40)
    points: Decimal = Field(ge=0, le=10000)
    reason: Text = Field(max_length=2000)


def scheme_out(scheme: AssessmentScheme) -> dict:
    return {"id": scheme.id, "name": scheme.name, "year": scheme.year, "plan_id": scheme.plan_id,
            "total": str(scheme.total), "items": scheme.items, "grades": scheme.grades, "version": scheme.version,
            "previous_id": scheme.previous_id, "superseded": scheme.superseded}


def result_out(result: AssessmentResult) -> dict:
    return {"id": result.id, "scheme_id": result.scheme_id, "period_start": result.period_start,
            "period_end": result.period_end, "as_of": result.as_of, "status": result.status,
            "ranking_public": result.ranking_public, "published_at": result.published_at}


def _values(body: SchemeIn) -> dict:
    values = body.model_dump()
    if body.grades is None:
        values.pop("grades")
    return values


@router.get("/schemes")
def list_schemes(actor: ActorDep, session: SessionDep) -> list[dict]:
    return [scheme_out(s) for s in service.list_schemes(session, actor)]


@router.post("/schemes", status_code=201)
def create_scheme(body: SchemeIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    return scheme_out(service.create_scheme(session, actor, _values(body), now=now))


@router.get("/schemes/{scheme_id}")
def get_scheme(scheme_id: IdPath, actor: ActorDep, session: SessionDep) -> dict:
    return scheme_out(service.get_scheme(session, actor, scheme_id))


@router.put("/schemes/{scheme_id}")
def update_scheme(scheme_id: IdPath, body: SchemeIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    return scheme_out(service.update_scheme(session, actor, scheme_id, _values(body), now=now))


@router.get("/results")
def list_results(actor: ActorDep, session: SessionDep) -> list[dict]:
    return [result_out(r) for r in service.list_results(session, actor)]


@router.post("/results", status_code=201)
def compute_result(body: ResultIn, actor: ActorDep, session: SessionDep, now: NowDep, today: TodayDep,
                   settings: SettingsDep, source: CalendarSourceDep) -> dict:
    result = service.compute_result(
        session, actor, body.scheme_id, start=body.period_start, end=body.period_end, today=today,
        calendar=source.for_office(actor.office_id, now), tz=settings.tz, now=now,
    )
    return result_out(result)


def download(data: bytes, filename: str, media_type: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# Before the result itself: its path would take "5.xlsx" as the id.
@router.get("/results/{result_id}.xlsx")
def result_workbook(result_id: IdPath, actor: ActorDep, session: SessionDep) -> Response:
    """得分表: what the caller may see of the result (a unit its own score)."""
    view = service.result_view(session, actor, result_id)
    return download(result_xlsx(view), f"{title_of(view)}.xlsx", XLSX_TYPE)


@router.get("/results/{result_id}.docx")
def result_document(result_id: IdPath, actor: ActorDep, session: SessionDep) -> Response:
    """考核结果通报 as .docx, as the caller may see it."""
    view = service.result_view(session, actor, result_id)
    office = session.get(Office, view.result.office_id)
    return download(result_docx(view, office.name), f"{title_of(view)}通报.docx", DOCX_TYPE)


@router.get("/results/{result_id}")
def get_result(result_id: IdPath, actor: ActorDep, session: SessionDep) -> dict:
    """A unit gets its own score with its lines, and the others' totals only when the ranking is public."""
    view = service.result_view(session, actor, result_id)
    return result_out(view.result) | {
        "ranking": [{"rank": r.rank, "department_id": r.score.department_id, "department": r.name,
                     "total": str(r.score.total), "grade": r.score.grade} for r in view.ranking],
        "scores": [{"rank": r.rank, "department_id": r.score.department_id, "department": r.name,
                    "total": str(r.score.total), "grade": r.score.grade, "lines": r.score.lines} for r in view.own],
        "corrections": [{"department_id": c.department_id, "reason": c.reason, "before": c.before, "after": c.after,
                         "by": c.corrected_by_name, "at": c.created_at} for c in view.corrections],
    }


@router.post("/results/{result_id}/recompute")
def recompute(result_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep, today: TodayDep,
              settings: SettingsDep, source: CalendarSourceDep) -> dict:
    result = service.recompute(session, actor, result_id, today=today,
                               calendar=source.for_office(actor.office_id, now), tz=settings.tz, now=now)
    return result_out(result)


@router.post("/results/{result_id}/entries")
def enter(result_id: IdPath, body: EnteredIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    score = service.set_entered(session, actor, result_id, department_id=body.department_id, item_key=body.item_key,
                                amount=body.amount, reason=body.reason, evidence=body.evidence, now=now)
    return {"department_id": score.department_id, "total": str(score.total), "grade": score.grade}


@router.post("/results/{result_id}/publish")
def publish(result_id: IdPath, body: PublishIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    return result_out(service.publish(session, actor, result_id, ranking_public=body.ranking_public, now=now))


@router.post("/results/{result_id}/corrections", status_code=201)
def correct(result_id: IdPath, body: CorrectionIn, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    c = service.correct(session, actor, result_id, department_id=body.department_id, item_key=body.item_key,
                        new_points=body.points, reason=body.reason, now=now)
    return {"id": c.id, "before": c.before, "after": c.after, "reason": c.reason}
