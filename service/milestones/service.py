"""The milestone workflow: pending → (acknowledged) → submitted → approved,
submitted → returned → submitted …; approved is final unless the office reopens it.

Every function takes the acting user and "now", checks rights, changes state,
writes an audit event, and leaves committing to the caller.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from service.audit.service import record, snapshot
from service.milestones import events, status
from service.auth.actor import Actor
from service.database import lock_for_change
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.milestones.models import (
    ACKNOWLEDGED,
    APPROVED,
    EVENT_EXTENSION_DECIDED,
    EVENT_RETURNED,
    EXTENSION_APPROVED,
    EXTENSION_PENDING,
    EXTENSION_REJECTED,
    OPEN_STATES,
    PENDING,
    RETURNED,
    REVIEW_APPROVE,
    REVIEW_REOPEN,
    REVIEW_RETURN,
    STATES,
    SUBMITTED,
    Attachment,
    ExtensionRequest,
    ProgressReport,
    Milestone,
    Report,
    Review,
)
from service.milestones.assignments import (
    AttachmentUpload,
    acts_for,
    issued_units,
    may_read_progress,
    sign,
    stored_attachments,
)
from service.plans.models import PLAN_ARCHIVED, PLAN_DRAFT, ROLE_LEAD, ROLE_SUPPORT, Assignment, Plan
from service.workdays import WorkdayCalendar

STATE_LABELS = {
    PENDING: "待签收",
    ACKNOWLEDGED: "已签收",
    SUBMITTED: "已报送",
    RETURNED: "已退回",
    APPROVED: "已办结",
}
MILESTONE_FIELDS = ("state", "due_date", "due_version", "acknowledged_at", "submitted_at", "approved_at")


def create_for_plan(
    session: Session, plan: Plan, *, calendar: WorkdayCalendar, support_lead_workdays: int, now: datetime
) -> int:
    """A milestone per assignment and phase (or the measure's own deadline).

    Support milestones fall due `support_lead_workdays` workdays (the plan's own
    number if it has one) before the lead's, so the lead has its supporters'
    contributions in hand when it writes its report. Returns how many were created.
    """
    return sum(
        create_for_assignment(session, plan, assignment, calendar=calendar,
                              support_lead_workdays=support_lead_workdays, now=now)
        for measure in plan.measures for assignment in measure.assignments
    )


def create_for_assignment(
    session: Session, plan: Plan, assignment: Assignment, *, calendar: WorkdayCalendar, support_lead_workdays: int,
    now: datetime,
) -> int:
    """The milestones of one 督办件: at activation, or when a child office takes an optional task."""
    lead_days = plan.support_lead_workdays if plan.support_lead_workdays is not None else support_lead_workdays
    measure = assignment.measure
    deadlines = [(None, measure.deadline)] if measure.deadline else [(p.id, p.deadline) for p in plan.phases]
    for phase_id, deadline in deadlines:
        due = deadline
        if assignment.role == ROLE_SUPPORT and lead_days:
            due = calendar.add_workdays(deadline, -lead_days)
        session.add(
            Milestone(
                assignment_id=assignment.id,
                phase_id=phase_id,
                plan_id=plan.id,
                department_id=assignment.department_id,
                due_date=due,
                created_at=now,
                updated_at=now,
            )
        )
    return len(deadlines)


def unfinished_milestones(session: Session, plan_id: int) -> int:
    """Milestones of the plan not yet approved (办结)."""
    return session.scalar(
        select(func.count()).where(Milestone.plan_id == plan_id, Milestone.state != APPROVED)
    )


def get_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment of a report on a milestone the actor may read, or of a
    contribution to a measure (and phase) the actor's department leads; of a progress report
    on an item the actor may read or on a measure its department leads."""
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise NotFound(f"附件 {attachment_id} 不存在")
    if found.report_id is None:  # a progress report's
        if not may_read_progress(session, actor, session.get(ProgressReport, found.progress_report_id)):
            raise NotFound(f"附件 {attachment_id} 不存在")
        return found
    milestone = session.get(Milestone, session.get(Report, found.report_id).milestone_id)
    try:
        get_milestone(session, actor, milestone.id)
    except NotFound:
        if not _leads_the_measure_of(session, actor, milestone):
            raise NotFound(f"附件 {attachment_id} 不存在") from None
    return found


def _leads_the_measure_of(session: Session, actor: Actor, milestone: Milestone) -> bool:
    """True when the actor's department is the lead of a contribution's measure and phase."""
    if actor.department_id is None:
        return False
    lead = session.scalars(
        visible_milestones(actor)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .where(
            Assignment.measure_id == milestone.assignment.measure_id,
            Assignment.role == ROLE_LEAD,
            Milestone.phase_id.is_not_distinct_from(milestone.phase_id),
        )
    ).first()
    return lead is not None


def is_overdue(milestone: Milestone, today: date) -> bool:
    return status.is_overdue(milestone.state, milestone.due_date, today)


# --- reading -----------------------------------------------------------------


def visible_milestones(actor: Actor) -> Select[tuple[Milestone]]:
    """Milestones the actor may read: a department its own, the office its plans."""
    query = select(Milestone).join(Plan, Plan.id == Milestone.plan_id)
    query = query.where(Plan.office_id.in_(actor.readable_office_ids))
    if actor.department_id is not None:
        query = query.where(Milestone.department_id == actor.department_id)
    return query


def get_milestone(session: Session, actor: Actor, milestone_id: int) -> Milestone:
    """A milestone the actor may read: its own office's (or department's), or one issued to its office."""
    milestone = session.scalars(visible_milestones(actor).where(Milestone.id == milestone_id)).first()
    if milestone is None:
        milestone = session.scalars(
            select(Milestone).join(Plan, Plan.id == Milestone.plan_id)
            .where(Milestone.id == milestone_id, Plan.status != PLAN_DRAFT, Milestone.department_id.in_(issued_units(actor)))
        ).first()
    if milestone is None:
        # Another department's or office's milestone is indistinguishable from none.
        raise NotFound(f"节点 {milestone_id} 不存在")
    return milestone


def list_milestones(
    session: Session,
    actor: Actor,
    *,
    today: date,
    department_id: int | None = None,
    plan_id: int | None = None,
    include_archived: bool = False,
    state: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    limit: int = 50,
    offset: int = 0,
    load: Sequence[ORMOption] = (),
) -> tuple[list[Milestone], int]:
    """A page of milestones and how many match; `load` adds loader options for
    what the caller shows of each row, so the rows are selected once.

    Archived plans' milestones are left out (inboxes, review queues) unless
    `include_archived` or `plan_id` asks for them."""
    if state is not None and state not in STATES:
        raise Invalid(f"state 必须是 {', '.join(STATES)} 之一")
    query = visible_milestones(actor)
    if department_id is not None:
        query = query.where(Milestone.department_id == department_id)
    if plan_id is not None:
        query = query.where(Milestone.plan_id == plan_id)
    elif not include_archived:
        query = query.where(Plan.status != PLAN_ARCHIVED)
    if state is not None:
        query = query.where(Milestone.state == state)
    if overdue is True:
        query = query.where(status.overdue_sql(today))
    elif overdue is False:
        query = query.where(~status.overdue_sql(today))
    if due_before is not None:
        query = query.where(Milestone.due_date < due_before)
    total = session.scalar(query.with_only_columns(func.count()))
    # The assignment and phase each row shows, loaded for the page by primary key
    # (no lazy load per row; a join would be made for every row before the limit).
    items = session.scalars(
        query.options(selectinload(Milestone.assignment), selectinload(Milestone.phase), *load)
        .order_by(Milestone.due_date, Milestone.id)
        .limit(limit)
        .offset(offset)
    )
    return list(items), total


def reports_of(session: Session, milestone: Milestone) -> list[Report]:
    return list(
        session.scalars(
            select(Report).where(Report.milestone_id == milestone.id).order_by(Report.id)
        )
    )


@dataclass(frozen=True)
class ReportHistory:
    """What the office reviews: the latest 办结申请, and the one before with the reason it was returned."""

    latest: Report
    previous: Report | None
    return_reason: str | None


def report_history(session: Session, milestone_ids: list[int]) -> dict[int, ReportHistory]:
    """Each milestone's report history for the review queue, in one query for reports
    and one for returns (a queue lists hundreds)."""
    if not milestone_ids:
        return {}
    reports: dict[int, list[Report]] = {}
    for r in session.scalars(
        select(Report).where(Report.milestone_id.in_(milestone_ids))
        .options(selectinload(Report.attachments)).order_by(Report.id)
    ):
        reports.setdefault(r.milestone_id, []).append(r)
    reasons = dict(session.execute(
        select(Review.milestone_id, Review.comment)
        .where(Review.milestone_id.in_(milestone_ids), Review.decision == REVIEW_RETURN).order_by(Review.id)
    ).all())
    return {
        mid: ReportHistory(rs[-1], rs[-2] if len(rs) > 1 else None, reasons.get(mid))
        for mid, rs in reports.items()
    }


def contributions_for(session: Session, milestone: Milestone) -> list[tuple[Milestone, Report]]:
    """Support departments' reports on the same measure and phase, for the lead to see."""
    if milestone.assignment.role != ROLE_LEAD:
        return []
    rows = session.execute(
        select(Milestone, Report)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Report, Report.milestone_id == Milestone.id)
        .where(
            Assignment.measure_id == milestone.assignment.measure_id,
            Assignment.role == ROLE_SUPPORT,
            Milestone.phase_id.is_not_distinct_from(milestone.phase_id),
        )
        .order_by(Report.id)
    )
    return [(m, r) for m, r in rows]


# --- changing ----------------------------------------------------------------


def in_archived_plan(session: Session, milestone: Milestone) -> bool:
    return session.get(Plan, milestone.plan_id).status == PLAN_ARCHIVED


def _lock_for_work(session: Session, milestone: Milestone, states: Collection[str], action: str) -> None:
    """Lock the milestone for its transition, re-read it and check it is in one of
    `states` (409 naming the state it is in). An archived plan's milestones are a
    record: read, never worked on (409).

    The plan is locked shared first (plan, then milestone: the order archiving
    takes them too), so a plan archived at this moment waits for the work or the
    work sees it archived; the milestone is locked exclusively, so of concurrent
    transitions one wins and the others see its outcome and are refused."""
    if lock_for_change(session, Plan, milestone.plan_id, shared=True).status == PLAN_ARCHIVED:
        raise Conflict("计划已归档，其节点不能再签收、报送、审核或延期；如需继续办理，请办公室先恢复计划")
    seen = milestone.state
    lock_for_change(session, Milestone, milestone.id)
    if milestone.state not in states:
        label = f"“{STATE_LABELS[milestone.state]}”({milestone.state})"
        if milestone.state != seen:
            raise Conflict(f"节点刚刚已被他人处理，现为{label}，不能再{action}；请刷新后查看")
        raise Conflict(f"节点当前状态为{label}，不能{action}")


def _department_work(
    session: Session, actor: Actor, milestone_id: int, states: Collection[str], action: str
) -> Milestone:
    """A milestone its own department acts on (签收, 报送, 申请延期): reach (404),
    department (403), plan not archived and milestone in `states` (409); locked."""
    milestone = get_milestone(session, actor, milestone_id)
    if not acts_for(session, actor, milestone.department_id):
        raise Forbidden("只有承办单位本身可以签收、报送或申请延期")
    _lock_for_work(session, milestone, states, action)
    return milestone


def _office_work(session: Session, actor: Actor, milestone: Milestone, states: Collection[str], action: str) -> None:
    """The owning office acts on it (审核, 重新打开, 延期审批): admin (403), plan not
    archived and milestone in `states` (409); locked."""
    actor.require_admin_of(milestone.assignment.measure.plan.office_id)
    _lock_for_work(session, milestone, states, action)


def _audit(session, actor, action, milestone, before, now, **extra) -> None:
    after = snapshot(milestone, *MILESTONE_FIELDS) | extra
    record(session, actor, action, "milestone", milestone.id, before=before, after=after, now=now)


def acknowledge(session: Session, actor: Actor, milestone_id: int, *, now: datetime) -> Milestone:
    """签收 of one checkpoint signs its whole 督办件."""
    milestone = _department_work(session, actor, milestone_id, (PENDING,), "签收")
    sign(session, actor, [milestone.assignment], now=now)
    return milestone


def submit_report(
    session: Session,
    actor: Actor,
    milestone_id: int,
    *,
    text: str,
    percent: int,
    attachments: list[AttachmentUpload] = (),
    now: datetime,
    max_attachment_bytes: int = 10 * 1024 * 1024,
) -> Report:
    milestone = _department_work(session, actor, milestone_id, set(STATES) - {APPROVED}, "报送进展")
    if not text.strip():
        raise Invalid("进展内容不能为空")
    if not 0 <= percent <= 100:
        raise Invalid("完成百分比必须在 0 到 100 之间")
    stored = stored_attachments(attachments, max_attachment_bytes)
    if milestone.assignment.signed_at is None:
        sign(session, actor, [milestone.assignment], now=now)  # reporting is the strongest acknowledgement
    before = snapshot(milestone, *MILESTONE_FIELDS)
    report = Report(
        milestone_id=milestone.id, author_id=actor.user_id, text=text.strip(), percent=percent, created_at=now
    )
    report.attachments = stored
    session.add(report)
    milestone.state = SUBMITTED
    milestone.submitted_at = now
    session.flush()
    _audit(session, actor, "milestone.report", milestone, before, now, report_id=report.id, percent=percent)
    events.reschedule(milestone, now=now)
    return report


def review(
    session: Session,
    actor: Actor,
    milestone_id: int,
    *,
    decision: str,
    comment: str | None,
    now: datetime,
    confirm_below_100: bool = False,
) -> Review:
    """The office's 通过 closes the checkpoint (办结; the last one closes the 督办件, 销号);
    退回 needs a reason. A 办结申请 below 100 % is approved only when the office confirms it."""
    milestone = get_milestone(session, actor, milestone_id)
    _office_work(session, actor, milestone, (SUBMITTED,), "审核")
    if decision not in (REVIEW_APPROVE, REVIEW_RETURN):
        raise Invalid("decision 必须是 approve 或 return")
    if decision == REVIEW_RETURN and not (comment or "").strip():
        raise Invalid("退回时必须填写意见")
    if decision == REVIEW_APPROVE and not confirm_below_100:
        percent = session.scalar(
            select(Report.percent).where(Report.milestone_id == milestone.id).order_by(Report.id.desc()).limit(1)
        )
        if percent is not None and percent < 100:
            raise Conflict(f"该办结申请的完成进度为 {percent}%，不足 100%；确认办结请勾选“确认按未完成 100% 办结”后再通过")
    before = snapshot(milestone, *MILESTONE_FIELDS)
    if decision == REVIEW_APPROVE:
        milestone.state = APPROVED
        milestone.approved_at = now
    else:
        milestone.state = RETURNED
    entry = Review(
        milestone_id=milestone.id, reviewer_id=actor.user_id, decision=decision, comment=comment, created_at=now
    )
    session.add(entry)
    session.flush()
    _audit(session, actor, f"milestone.{decision}", milestone, before, now, comment=comment)
    events.reschedule(milestone, now=now)
    if decision == REVIEW_RETURN:
        events.emit(session, EVENT_RETURNED, milestone, now=now, comment=comment)
    return entry


def approve_many(
    session: Session, actor: Actor, milestone_ids: list[int], *, confirm_below_100: bool, now: datetime
) -> int:
    """Batch 通过 after the office's confirmation: every one or none (the first refusal names its checkpoint)."""
    if not milestone_ids:
        raise Invalid("请先勾选要通过的办结申请")
    for milestone_id in milestone_ids:
        review(session, actor, milestone_id, decision=REVIEW_APPROVE, comment=None, now=now,
               confirm_below_100=confirm_below_100)
    return len(milestone_ids)


def reopen(session: Session, actor: Actor, milestone_id: int, *, comment: str, now: datetime) -> Milestone:
    milestone = get_milestone(session, actor, milestone_id)
    _office_work(session, actor, milestone, (APPROVED,), "重新打开")
    if not comment.strip():
        raise Invalid("重新打开时必须说明原因")
    before = snapshot(milestone, *MILESTONE_FIELDS)
    milestone.state = RETURNED
    milestone.approved_at = None
    session.add(Review(milestone_id=milestone.id, reviewer_id=actor.user_id, decision=REVIEW_REOPEN, comment=comment,
                       created_at=now))
    _audit(session, actor, "milestone.reopen", milestone, before, now, comment=comment)
    events.reschedule(milestone, now=now)
    return milestone


def request_extension(
    session: Session,
    actor: Actor,
    milestone_id: int,
    *,
    new_due_date: date,
    reason: str,
    now: datetime,
) -> ExtensionRequest:
    milestone = _department_work(session, actor, milestone_id, OPEN_STATES, "申请延期")
    if not reason.strip():
        raise Invalid("请填写延期理由")
    if new_due_date <= milestone.due_date:
        raise Invalid(f"新的完成时限必须晚于当前时限 {milestone.due_date.isoformat()}")
    pending = session.scalars(
        select(ExtensionRequest.id).where(
            ExtensionRequest.milestone_id == milestone.id, ExtensionRequest.status == EXTENSION_PENDING
        )
    ).first()
    if pending is not None:
        raise Conflict(f"该节点已有待审批的延期申请 {pending}")
    request = ExtensionRequest(
        milestone_id=milestone.id,
        requested_by=actor.user_id,
        current_due_date=milestone.due_date,
        new_due_date=new_due_date,
        reason=reason.strip(),
        created_at=now,
    )
    session.add(request)
    session.flush()
    record(
        session, actor, "extension.request", "milestone", milestone.id,
        after={"extension_request_id": request.id, "new_due_date": new_due_date.isoformat(), "reason": reason},
        now=now,
    )
    return request


def get_extension_request(session: Session, actor: Actor, request_id: int) -> ExtensionRequest:
    request = session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound(f"延期申请 {request_id} 不存在")
    get_milestone(session, actor, request.milestone_id)  # 404 unless visible
    return request


def list_extension_requests(
    session: Session, actor: Actor, *, status: str | None = EXTENSION_PENDING, include_archived: bool = False
) -> list[ExtensionRequest]:
    """Extension requests on milestones the actor may read; an archived plan's left out unless asked for."""
    visible = visible_milestones(actor)
    if not include_archived:
        visible = visible.where(Plan.status != PLAN_ARCHIVED)
    visible = visible.with_only_columns(Milestone.id).subquery()
    query = select(ExtensionRequest).where(ExtensionRequest.milestone_id.in_(select(visible.c.id)))
    if status is not None:
        query = query.where(ExtensionRequest.status == status)
    return list(session.scalars(query.order_by(ExtensionRequest.created_at, ExtensionRequest.id)))


def decide_extension(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    approve: bool,
    comment: str | None,
    now: datetime,
) -> ExtensionRequest:
    request = get_extension_request(session, actor, request_id)
    milestone = session.get(Milestone, request.milestone_id)
    _office_work(session, actor, milestone, STATES, "审批延期")
    lock_for_change(session, ExtensionRequest, request.id)
    if request.status != EXTENSION_PENDING:
        raise Conflict(f"延期申请已处理（{request.status}），不能再次审批")
    before = snapshot(milestone, *MILESTONE_FIELDS)
    request.status = EXTENSION_APPROVED if approve else EXTENSION_REJECTED
    request.decided_by = actor.user_id
    request.decided_at = now
    request.decision_comment = comment
    if approve:
        milestone.due_date = request.new_due_date
        milestone.due_version += 1
    _audit(
        session, actor, "extension.approve" if approve else "extension.reject", milestone, before, now,
        extension_request_id=request.id, comment=comment,
    )
    events.reschedule(milestone, now=now)
    events.emit(
        session, EVENT_EXTENSION_DECIDED, milestone, now=now, approved=approve, comment=comment
    )
    return request
