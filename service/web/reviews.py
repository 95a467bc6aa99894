"""The office's review queue: approve or return reports, reopen approved ones, decide extension requests."""

from fastapi import APIRouter, Request

from service.dependencies import IdPath, NowDep, SessionDep, TodayDep
from service.milestones import service as workflow
from service.milestones.models import SUBMITTED
from service.web.actions import form_int, run_action
from service.web.lookups import MILESTONE_ROW, department_names, load_milestones
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
QUEUE_LIMIT = 200


@router.get("/reviews")
def reviews_page(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep):
    queue, total = workflow.list_milestones(
        session, actor, today=today, state=SUBMITTED, limit=QUEUE_LIMIT, load=MILESTONE_ROW
    )
    extensions = workflow.list_extension_requests(session, actor)
    milestones = {m.id: m for m in queue}
    milestones |= load_milestones(session, [e.milestone_id for e in extensions if e.milestone_id not in milestones])
    history = workflow.report_history(session, [m.id for m in queue])
    return render(
        request,
        "reviews.html",
        {
            "queue": queue,
            "total": total,
            "history": history,
            "extensions": extensions,
            "milestones": milestones,
            "names": department_names(session, actor),
        },
    )


def _selected(values) -> list[int]:
    return list(dict.fromkeys(i for i in (form_int(v) for v in values) if i and i > 0))


@router.get("/reviews/confirm")
def confirm_batch(request: Request, actor: PageActorDep, session: SessionDep, today: TodayDep):
    """The confirmation step of batch 通过: the selected items, each with its 办结申请's percent."""
    ids = _selected(request.query_params.getlist("ids"))
    if not ids:
        return redirect(request, "/reviews", "请先勾选要通过的办结申请", kind="error")
    chosen = [workflow.get_milestone(session, actor, i) for i in ids]
    history = workflow.report_history(session, ids)
    return render(
        request,
        "reviews_confirm.html",
        {
            "chosen": list(load_milestones(session, ids).values()),
            "history": history,
            "below_100": [m.id for m in chosen if history.get(m.id) and history[m.id].latest.percent < 100],
            "names": department_names(session, actor),
        },
    )


@router.post("/reviews/approve")
def approve_batch(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    ids = _selected(form.getlist("ids"))
    if not form.get("confirmed"):
        return redirect(request, "/reviews", "请勾选“确认通过以上办结申请”后再提交", kind="error")
    return run_action(
        request, session,
        lambda: workflow.approve_many(session, actor, ids, confirm_below_100=bool(form.get("confirm_below_100")), now=now),
        ok=f"已通过 {len(ids)} 项办结申请，相应节点办结", back="/reviews",
    )


def _back(request: Request, default: str) -> str:
    back = str(request.state.form.get("back") or default)
    return back if back.startswith("/") and not back.startswith("//") else default


@router.post("/milestones/{milestone_id}/review")
def review(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    decision = str(form.get("decision") or "")
    return run_action(
        request, session,
        lambda: workflow.review(
            session, actor, milestone_id, decision=decision, comment=str(form.get("comment") or "").strip() or None,
            now=now, confirm_below_100=bool(form.get("confirm_below_100")),
        ),
        ok="已通过，节点办结" if decision == "approve" else "已退回，承办单位将收到修改意见",
        back=_back(request, f"/milestones/{milestone_id}"),
    )


@router.post("/milestones/{milestone_id}/reopen")
def reopen(request: Request, milestone_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    comment = str(request.state.form.get("comment") or "").strip()
    return run_action(
        request, session, lambda: workflow.reopen(session, actor, milestone_id, comment=comment, now=now),
        ok="已重新打开，节点退回承办单位继续办理", back=f"/milestones/{milestone_id}",
    )


@router.post("/extensions/{request_id}/decision")
def decide_extension(request: Request, request_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    approve = form.get("decision") == "approve"
    return run_action(
        request, session,
        lambda: workflow.decide_extension(
            session, actor, request_id, approve=approve, comment=str(form.get("comment") or "").strip() or None,
            now=now,
        ),
        ok="已同意延期，完成时限已调整" if approve else "已驳回延期申请",
        back=_back(request, "/reviews#extensions"),
    )
