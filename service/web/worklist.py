"""The 督办件 pages: a unit's work list (/inbox), the office's filtered list (/assignments),
one item with its progress reports, and the forms for 签收, 进展报送, 已阅/要求补充 and 催办."""

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from service.bulletins.service import notices_of
from service.departments.feeds import feed_of
from service.departments.models import Department
from service.dependencies import (
    CalendarDep,
    IdPath,
    IdQuery,
    NowDep,
    PageQuery,
    SessionDep,
    SettingsDep,
    TodayDep,
)
from service.errors import DomainError, Forbidden, NotFound
from service.flows import chase
from service.milestones import assignments
from service.milestones.models import PROGRESS_REVIEW_LABELS
from service.plans.models import PLAN_ARCHIVED, PLAN_STATUS_LABELS
from service.plans.service import list_plans
from service.reminders.policy import COLOUR_NAMES, LEVELS
from service.reminders.scan import CHASE_LEVELS
from service.web.actions import Refused, form_int, refusal, run_action
from service.web.lookups import department_names
from service.web.milestones import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENTS,
    chosen_attachments,
    read_uploads,
)
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
PER_PAGE = 20
CHASE_CHOICES = {name: COLOUR_NAMES[colour] + LEVELS[colour] for name, colour in CHASE_LEVELS.items()}


def _back(request: Request, default: str) -> str:
    back = str(request.state.form.get("back") or default)
    return back if back.startswith("/") and not back.startswith("//") else default


def _list_page(request, actor, session, today, calendar, *, path, plan_id, department_id, status, q, page):
    if status and status not in assignments.STATUS_LABELS:
        status = None  # a stale link shows everything rather than an error page
    items, total = assignments.list_assignments(
        session, actor, today=today, due_soon_until=calendar.add_workdays(today, assignments.DUE_SOON_WORKDAYS),
        plan_id=plan_id, department_id=department_id, status=status, q=q, page=page, per_page=PER_PAGE,
    )
    filters = {k: v for k, v in {"plan_id": plan_id, "department_id": department_id, "status": status, "q": q}.items() if v}
    pages = max(1, -(-total // PER_PAGE))
    return render(
        request,
        "worklist.html",
        {
            "path": path,
            "items": items,
            "total": total,
            "page": page,
            "pages": pages,
            "page_url": lambda n: f"{path}?{urlencode(filters | {'page': n})}",
            "filters": filters,
            "plans": [p for p in list_plans(session, actor) if p.status != PLAN_ARCHIVED or p.id == plan_id],
            "plan_status_labels": PLAN_STATUS_LABELS,
            "status_labels": assignments.STATUS_LABELS,
            "names": department_names(session, actor),
            "unsigned": assignments.unsigned_count(session, actor, plan_id=plan_id) if actor.is_department else 0,
            "chase_choices": CHASE_CHOICES,
            "can_chase": actor.is_admin,
            "department": department_names(session, actor).get(actor.department_id, "") if actor.is_department else "",
            "feed": feed_of(session, actor.department_id) if actor.is_department else None,
        },
    )


@router.get("/inbox")
def inbox(
    request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep, calendar: CalendarDep,
    plan_id: IdQuery = None, status: str | None = None, q: str | None = Query(None, max_length=200), page: PageQuery = 1,
):
    """A unit's work list: one row per 督办件."""
    if not actor.is_department:
        return redirect(request, "/reviews")
    return _list_page(request, actor, session, today, calendar, path="/inbox", plan_id=plan_id, department_id=None,
                      status=status, q=q, page=page)


@router.get("/assignments")
def assignment_list(
    request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep, calendar: CalendarDep,
    plan_id: IdQuery = None, department_id: IdQuery = None, status: str | None = None,
    q: str | None = Query(None, max_length=200), page: PageQuery = 1,
):
    """The office's list of 督办件, filtered as the dashboard's unit table links to it."""
    if actor.is_department:
        return _list_page(request, actor, session, today, calendar, path="/inbox", plan_id=plan_id, department_id=None,
                          status=status, q=q, page=page)
    return _list_page(request, actor, session, today, calendar, path="/assignments", plan_id=plan_id,
                      department_id=department_id, status=status, q=q, page=page)


@router.post("/inbox/sign")
def sign_all(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    """全部签收: every unsigned item of the chosen plan, or of all plans."""
    plan_id = form_int(request.state.form.get("plan_id"))
    done = {}

    def sign():
        if plan_id:
            done["n"] = assignments.sign_batch(session, actor, plan_id=plan_id, now=now)
        else:
            ids = [a.id for a in _unsigned(session, actor)]
            done["n"] = assignments.sign_batch(session, actor, ids=ids, now=now) if ids else 0

    response = run_action(request, session, sign, ok="", back=_back(request, "/inbox"))
    if "n" in done:
        return redirect(request, _back(request, "/inbox"), f"已签收 {done['n']} 项督办件" if done["n"] else "没有待签收的督办件")
    return response


def _unsigned(session, actor):
    return list(session.scalars(
        assignments.visible_assignments(actor).where(
            assignments.Assignment.signed_at.is_(None), assignments.Plan.status != PLAN_ARCHIVED)
    ))


@router.get("/assignments/{assignment_id}")
def assignment_page(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep):
    return _item_page(request, session, actor, assignment_id)


def _item_page(request: Request, session, actor, assignment_id: int, refused: Refused | None = None):
    """One 督办件; after a refused progress report or review, with what was typed and the reason (422)."""
    item = assignments.get_work_item(session, actor, assignment_id)
    a = item.assignment
    archived = a.measure.plan.status == PLAN_ARCHIVED
    names = department_names(session, actor)
    unit = session.get(Department, a.department_id)
    names.setdefault(unit.id, unit.name)  # issued to the actor's office: its unit in the parent's directory
    return render(
        request,
        "assignment.html",
        {
            "item": item,
            "a": a,
            "measure": a.measure,
            "names": names,
            "plan_readable": a.measure.plan.office_id in actor.readable_office_ids,
            "issued": unit.represents_office_id is not None,
            "progress": list(reversed(assignments.progress_of(session, a))),
            "contributions": assignments.contributions_for(session, a),
            "review_labels": PROGRESS_REVIEW_LABELS,
            # A unit's own user, or (上级交办) an admin of the child office the unit stands for.
            "own": assignments.acts_for(session, actor, a.department_id) and not archived,
            "office": actor.is_admin and actor.office_id == a.measure.plan.office_id and not archived,
            "archived": archived,
            "accept": ",".join(ATTACHMENT_TYPES),
            "max_mb": request.app.state.settings.attachment_max_bytes // (1024 * 1024),
            "max_attachments": MAX_ATTACHMENTS,
            "chase_choices": CHASE_CHOICES,
            "notices": notices_of(session, a.id),
            "refused": refused,
        },
        status_code=422 if refused else 200,
    )


@router.post("/assignments/{assignment_id}/sign")
def sign_one(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(
        request, session, lambda: assignments.sign(session, actor, [assignments.own_work(session, actor, assignment_id)], now=now),
        ok="已签收", back=_back(request, f"/assignments/{assignment_id}"),
    )


@router.post("/assignments/{assignment_id}/progress")
async def progress(
    request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep
):
    form = request.state.form
    chosen = len(chosen_attachments(request))
    try:
        uploads = await read_uploads(request, settings.attachment_max_bytes)
        assignments.submit_progress(
            session, actor, assignment_id, text=str(form.get("text") or ""), percent=form_int(form.get("percent"), -1),
            attachments=uploads, now=now, max_attachment_bytes=settings.attachment_max_bytes,
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        return _item_page(request, session, actor, assignment_id,
                          refusal(request, session, "progress", exc, files_dropped=chosen))
    return redirect(request, f"/assignments/{assignment_id}#progress", "进展已报送（不改变节点状态；节点完成后请提交办结申请）")


@router.post("/progress/{progress_id}/review")
def review_progress(request: Request, progress_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    decision = str(form.get("decision") or "")
    return run_action(
        request, session,
        lambda: assignments.review_progress(
            session, actor, progress_id, decision=decision, comment=str(form.get("comment") or ""), now=now
        ),
        ok="已阅" if decision == "read" else "已要求补充，承办单位将看到意见",
        back=_back(request, "/assignments"),
    )


def _chase_message(result: chase.ChaseResult) -> str:
    skipped = f"，{result.skipped} 项今天已催办过未再发送" if result.skipped else ""
    return f"已催办 {result.chased} 项督办件{skipped}"


def _run_chase(request, session, action, back):
    done = {}
    response = run_action(request, session, lambda: done.setdefault("r", action()), ok="", back=back)
    return redirect(request, back, _chase_message(done["r"])) if "r" in done else response


@router.post("/assignments/{assignment_id}/chase")
def chase_one(request: Request, assignment_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    level = str(request.state.form.get("level") or "")
    return _run_chase(
        request, session, lambda: chase.chase_items(session, settings, actor, [assignment_id], level=level, now=now),
        _back(request, f"/assignments/{assignment_id}"),
    )


@router.post("/assignments/chase")
def chase_selected(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    form = request.state.form
    ids = [i for i in (form_int(v) for v in form.getlist("ids")) if i and i > 0]
    return _run_chase(
        request, session,
        lambda: chase.chase_items(session, settings, actor, ids, level=str(form.get("level") or ""), now=now),
        _back(request, "/assignments"),
    )


@router.post("/departments/{department_id}/chase")
def chase_unit(request: Request, department_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep):
    level = str(request.state.form.get("level") or "")
    return _run_chase(
        request, session,
        lambda: chase.chase_department(session, settings, actor, department_id, level=level, now=now),
        _back(request, "/"),
    )
