"""The 督办件 (assignment) as a department works it: one row per measure × department ×
role with its checkpoints (milestones) inside; 签收 once for all of them; 进展报送 on the
item, apart from the 办结申请 on each checkpoint.

Like the milestone workflow, every function takes the acting user and "now", checks
rights, writes an audit event, and leaves committing to the caller.
"""

import hashlib
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, bindparam, case, exists, false, func, select
from sqlalchemy.orm import Session, selectinload

from service.audit.service import record, snapshot
from service.auth.actor import Actor
from service.database import lock_for_change
from service.departments.models import Department
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.milestones import events
from service.milestones.models import (
    ACKNOWLEDGED,
    APPROVED,
    EVENT_PROGRESS_MORE,
    OPEN_STATES,
    PENDING,
    PROGRESS_MORE,
    PROGRESS_READ,
    RETURNED,
    SUBMITTED,
    Attachment,
    Milestone,
    ProgressReport,
)
from service.milestones.status import overdue_sql
from service.plans import versions
from service.plans.models import (
    CYCLE_MONTHLY,
    CYCLE_NONE,
    CYCLE_QUARTERLY,
    CYCLE_WEEKLY,
    PLAN_ACTIVE,
    PLAN_ARCHIVED,
    PLAN_DRAFT,
    ROLE_LEAD,
    ROLE_SUPPORT,
    Assignment,
    Measure,
    Plan,
)

UNSIGNED = "unsigned"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
STATUS_RETURNED = "returned"
AWAITING_REVIEW = "awaiting_review"
DONE = "done"
STATUS_LABELS = {
    UNSIGNED: "未签收", OVERDUE: "已逾期", DUE_SOON: "临近到期", STATUS_RETURNED: "被退回",
    AWAITING_REVIEW: "待审核", DONE: "已办结",
}
# The work list's "due soon": a checkpoint due within this many workdays.
DUE_SOON_WORKDAYS = 7
MAX_PER_PAGE = 50
SIGN_FIELDS = ("state", "acknowledged_at")


@dataclass(frozen=True)
class AttachmentUpload:
    filename: str
    content_type: str
    data: bytes


def stored_attachments(uploads: Sequence[AttachmentUpload], max_bytes: int) -> list[Attachment]:
    """The attachment rows for a 办结申请 or a progress report, each within the size limit."""
    for upload in uploads:
        if len(upload.data) > max_bytes:
            raise Invalid(f"附件 {upload.filename} 超过 {max_bytes // (1024 * 1024)} MB 上限")
    return [
        Attachment(
            filename=u.filename, content_type=u.content_type, size=len(u.data),
            sha256=hashlib.sha256(u.data).hexdigest(), data=u.data,
        )
        for u in uploads
    ]


@dataclass
class WorkItem:
    """One 督办件 as the work list shows it."""

    assignment: Assignment
    milestones: list[Milestone]
    latest_progress: ProgressReport | None

    @property
    def current(self) -> Milestone | None:
        """The earliest checkpoint not closed; None when the item is done (销号)."""
        return next((m for m in self.milestones if m.state != APPROVED), None)

    @property
    def later(self) -> list[Milestone]:
        current = self.current
        return [m for m in self.milestones if m.state != APPROVED and m is not current]

    @property
    def closed(self) -> int:
        return sum(m.state == APPROVED for m in self.milestones)


def visible_assignments(actor: Actor) -> Select[tuple[Assignment]]:
    """Assignments the actor may read: a department its own, the office its plans."""
    query = (
        select(Assignment)
        .join(Measure, Measure.id == Assignment.measure_id)
        .join(Plan, Plan.id == Measure.plan_id)
        .where(Plan.office_id.in_(actor.readable_office_ids))
    )
    if actor.department_id is not None:
        query = query.where(Assignment.department_id == actor.department_id)
    return query


def issued_units(actor: Actor) -> Select[tuple[int]]:
    """The parent offices' units standing for the actor's office (上级交办): its admins act
    for them, on their 督办件 only; a grandchild or a sibling office stands for none of them."""
    query = select(Department.id).where(Department.represents_office_id == actor.office_id)
    return query if actor.is_admin else query.where(false())


def issued_assignments(actor: Actor) -> Select[tuple[Assignment]]:
    """The parent offices' 督办件 issued to the actor's office, in started plans."""
    return (
        select(Assignment)
        .join(Measure, Measure.id == Assignment.measure_id)
        .join(Plan, Plan.id == Measure.plan_id)
        .where(Plan.status != PLAN_DRAFT, Assignment.department_id.in_(issued_units(actor)))
    )


def acts_for(session: Session, actor: Actor, department_id: int) -> bool:
    """Whether the actor works the unit's items: its own user, or an admin of the office it stands for."""
    if actor.department_id is not None:
        return actor.department_id == department_id
    return actor.is_admin and session.scalar(
        select(Department.represents_office_id).where(Department.id == department_id)
    ) == actor.office_id


def open_checkpoint(*conditions):
    """Whether the assignment has a checkpoint not closed (matching `conditions`)."""
    return exists().where(Milestone.assignment_id == Assignment.id, Milestone.state != APPROVED, *conditions)


def status_condition(status: str, *, today: date, due_soon_until: date):
    """The SQL condition of one work-list status (shared by the list and the dashboard's counts)."""
    if status == UNSIGNED:
        return Assignment.signed_at.is_(None)
    if status == OVERDUE:
        return open_checkpoint(Milestone.due_date < today)
    if status == DUE_SOON:
        # Work still owed: a checkpoint awaiting the office's review is not chased.
        return open_checkpoint(
            Milestone.state.in_(OPEN_STATES), Milestone.due_date >= today, Milestone.due_date <= due_soon_until
        )
    if status == STATUS_RETURNED:
        return open_checkpoint(Milestone.state == RETURNED)
    if status == AWAITING_REVIEW:
        return open_checkpoint(Milestone.state == SUBMITTED)
    if status == DONE:
        return and_(~open_checkpoint(), exists().where(Milestone.assignment_id == Assignment.id))
    raise Invalid(f"状态筛选必须是 {'、'.join(STATUS_LABELS.values())} 之一（{', '.join(STATUS_LABELS)}）")


def work_list_query(
    actor: Actor,
    *,
    today: date,
    due_soon_until: date,
    plan_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Select[tuple[Assignment]]:
    """The 督办件 a work list shows (joined with their measure and plan), unordered.
    Archived plans are left out unless `plan_id` names one."""
    query = visible_assignments(actor)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    else:
        query = query.where(Plan.status != PLAN_ARCHIVED)
    if department_id is not None:
        query = query.where(Assignment.department_id == department_id)
    if status:
        query = query.where(status_condition(status, today=today, due_soon_until=due_soon_until))
    if q and q.strip():
        query = query.where(Measure.text.contains(q.strip(), autoescape=True))
    return query


# Built once (statement construction cost more than running it): the plans of some offices
# with their versions, and of those the ones a department has items in.
_OFFICE_PLANS = (
    select(Plan.id, versions.of(Plan.id)).where(Plan.office_id.in_(bindparam("offices", expanding=True)))
    .order_by(Plan.id)
)
_DEPARTMENT_PLANS = _OFFICE_PLANS.where(Plan.id.in_(
    select(Measure.plan_id).join(Assignment, Assignment.measure_id == Measure.id)
    .where(Assignment.department_id == bindparam("department"))
))


def work_list_plans(session: Session, actor: Actor) -> tuple[tuple[int, int], ...]:
    """(id, version) of every plan whose contents the actor's work lists may show, by id: every
    plan of its offices; a department's, those it has items in. What a work list shows changes
    only with one of these versions or with the set (see `plans.versions`)."""
    offices = sorted(actor.readable_office_ids)
    if actor.department_id is None:
        rows = session.execute(_OFFICE_PLANS, {"offices": offices})
    else:
        rows = session.execute(_DEPARTMENT_PLANS, {"offices": offices, "department": actor.department_id})
    return tuple(tuple(row) for row in rows)


def _page_bounds(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"每页条数必须在 1 到 {MAX_PER_PAGE} 之间")
    if page < 1:
        raise Invalid("页码必须从 1 开始")


WORK_LIST_ORDER = (Plan.id, Measure.position, Assignment.id)


def _work_page(session: Session, actor: Actor, *, page: int, per_page: int, **filters) -> tuple[Select, int]:
    """The page of 督办件 matching `filters` (work_list_query's), in work-list order, and how many match."""
    _page_bounds(page, per_page)
    query = work_list_query(actor, **filters)
    total = session.scalar(query.with_only_columns(func.count()))
    return query.order_by(*WORK_LIST_ORDER).limit(per_page).offset((page - 1) * per_page), total


def list_assignments(
    session: Session,
    actor: Actor,
    *,
    today: date,
    due_soon_until: date,
    plan_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = MAX_PER_PAGE,
) -> tuple[list[WorkItem], int]:
    """A page of 督办件 and how many match. Archived plans are left out unless `plan_id` names one."""
    query, total = _work_page(
        session, actor, page=page, per_page=per_page, today=today, due_soon_until=due_soon_until,
        plan_id=plan_id, department_id=department_id, status=status, q=q,
    )
    assignments = list(session.scalars(query.options(selectinload(Assignment.measure).selectinload(Measure.plan))))
    return work_items(session, assignments), total


@dataclass(frozen=True)
class WorkRow:
    """One 督办件 of the API's work list, as plain values (no ORM objects: a page is 50 items
    with their checkpoints, read in three queries)."""

    id: int
    plan_id: int
    plan_title: str
    measure_id: int
    measure_text: str
    department_id: int
    role: str
    signed_at: datetime | None
    milestones: list[tuple[int, date, str]]  # (id, due date, state), by due date then id
    latest_progress: tuple[int, datetime] | None  # (percent, created at)

    @property
    def current(self) -> tuple[int, date, str] | None:
        """The earliest checkpoint not closed, as WorkItem.current."""
        return next((m for m in self.milestones if m[2] != APPROVED), None)

    @property
    def closed(self) -> int:
        return sum(m[2] == APPROVED for m in self.milestones)


def list_work_rows(
    session: Session,
    actor: Actor,
    *,
    today: date,
    due_soon_until: date,
    plan_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = MAX_PER_PAGE,
) -> tuple[list[WorkRow], int]:
    """The same page as list_assignments, as WorkRow values."""
    query, total = _work_page(
        session, actor, page=page, per_page=per_page, today=today, due_soon_until=due_soon_until,
        plan_id=plan_id, department_id=department_id, status=status, q=q,
    )
    rows = session.execute(
        query.with_only_columns(
            Assignment.id, Measure.plan_id, Plan.title, Assignment.measure_id, Measure.text,
            Assignment.department_id, Assignment.role, Assignment.signed_at,
        )
    ).all()
    ids = [r[0] for r in rows]
    milestones: dict[int, list[tuple[int, date, str]]] = {i: [] for i in ids}
    latest: dict[int, tuple[int, datetime]] = {}
    if ids:
        for assignment_id, milestone_id, due_date, state in session.execute(
            select(Milestone.assignment_id, Milestone.id, Milestone.due_date, Milestone.state)
            .where(Milestone.assignment_id.in_(ids)).order_by(Milestone.due_date, Milestone.id)
        ):
            milestones[assignment_id].append((milestone_id, due_date, state))
        newest = select(func.max(ProgressReport.id)).where(ProgressReport.assignment_id.in_(ids)).group_by(
            ProgressReport.assignment_id
        )
        latest = {
            assignment_id: (percent, created_at)
            for assignment_id, percent, created_at in session.execute(
                select(ProgressReport.assignment_id, ProgressReport.percent, ProgressReport.created_at)
                .where(ProgressReport.id.in_(newest))
            )
        }
    return [WorkRow(*r, milestones=milestones[r[0]], latest_progress=latest.get(r[0])) for r in rows], total


def work_items(session: Session, assignments: list[Assignment]) -> list[WorkItem]:
    """Each assignment with its checkpoints and latest progress, in two queries for the page."""
    ids = [a.id for a in assignments]
    milestones: dict[int, list[Milestone]] = {i: [] for i in ids}
    latest: dict[int, ProgressReport] = {}
    if ids:
        for m in session.scalars(
            select(Milestone).where(Milestone.assignment_id.in_(ids))
            .options(selectinload(Milestone.phase)).order_by(Milestone.due_date, Milestone.id)
        ):
            milestones[m.assignment_id].append(m)
        newest = select(func.max(ProgressReport.id)).where(ProgressReport.assignment_id.in_(ids)).group_by(
            ProgressReport.assignment_id
        )
        latest = {p.assignment_id: p for p in session.scalars(select(ProgressReport).where(ProgressReport.id.in_(newest)))}
    return [WorkItem(a, milestones[a.id], latest.get(a.id)) for a in assignments]


def get_assignment(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    """An item the actor may read: its own office's (or department's), or one issued to its office."""
    found = session.scalars(visible_assignments(actor).where(Assignment.id == assignment_id)).first()
    if found is None:
        found = session.scalars(issued_assignments(actor).where(Assignment.id == assignment_id)).first()
    if found is None:
        # Another department's or office's item is indistinguishable from none.
        raise NotFound(f"督办件 {assignment_id} 不存在")
    return found


def get_work_item(session: Session, actor: Actor, assignment_id: int) -> WorkItem:
    return work_items(session, [get_assignment(session, actor, assignment_id)])[0]


def own_work(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    """An item its own department acts on: reach (404), department (403), plan not archived (409),
    locked against a concurrent change of the same item."""
    assignment = get_assignment(session, actor, assignment_id)
    if not acts_for(session, actor, assignment.department_id):
        raise Forbidden("只有承办单位本身可以签收或报送进展")
    # Plan (shared), then the item: the order archiving and the milestone workflow take them.
    if lock_for_change(session, Plan, assignment.measure.plan_id, shared=True).status == PLAN_ARCHIVED:
        raise Conflict("计划已归档，其督办件不能再签收或报送；如需继续办理，请办公室先恢复计划")
    return lock_for_change(session, Assignment, assignment.id)


# --- 签收 --------------------------------------------------------------------


def sign(session: Session, actor: Actor, assignments: Sequence[Assignment], *, now: datetime) -> int:
    """Sign each unsigned item and all its checkpoints; answers how many were signed."""
    ids = [a.id for a in assignments]
    if not ids:
        return 0
    # Compare-and-set: only rows still unsigned are signed, so two clicks count once.
    locked = list(
        session.scalars(
            select(Assignment).where(Assignment.id.in_(ids), Assignment.signed_at.is_(None))
            .order_by(Assignment.id).with_for_update().execution_options(populate_existing=True)
        )
    )
    for assignment in locked:
        assignment.signed_at = now
        assignment.signed_by = actor.user_id
        for milestone in session.scalars(
            select(Milestone).where(Milestone.assignment_id == assignment.id, Milestone.state == PENDING)
        ):
            before = snapshot(milestone, *SIGN_FIELDS)
            milestone.state = ACKNOWLEDGED
            milestone.acknowledged_at = now
            # Still open: the next scan re-reads its ladder (without the 未签收 reminders).
            milestone.next_reminder_at = now
            # Each checkpoint's change in the audit log, as 签收 of one checkpoint always was.
            record(session, actor, "milestone.acknowledge", "milestone", milestone.id, before=before,
                   after=snapshot(milestone, *SIGN_FIELDS), now=now)
    session.flush()
    return len(locked)


def sign_batch(
    session: Session, actor: Actor, *, ids: Sequence[int] | None = None, plan_id: int | None = None, now: datetime
) -> int:
    """全部签收: the caller's unsigned items among `ids`, or all of one plan's (one 交办)."""
    if not actor.is_department:
        raise Forbidden("只有承办单位可以签收")
    if (ids is None) == (plan_id is None):
        raise Invalid("请给出要签收的督办件（ids）或计划（plan_id），二者选一")
    query = visible_assignments(actor).where(Plan.status != PLAN_ARCHIVED)
    if ids is not None:
        wanted = set(ids)
        found = list(session.scalars(query.where(Assignment.id.in_(wanted))))
        missing = wanted - {a.id for a in found}
        if missing:
            raise NotFound(f"督办件 {'、'.join(str(i) for i in sorted(missing))} 不存在")
    else:
        found = list(session.scalars(query.where(Plan.id == plan_id)))
        if not found and session.get(Plan, plan_id) is None:
            raise NotFound(f"计划 {plan_id} 不存在")
    return sign(session, actor, [a for a in found if a.signed_at is None], now=now)


def unsigned_count(session: Session, actor: Actor, *, plan_id: int | None = None) -> int:
    query = visible_assignments(actor).where(Plan.status != PLAN_ARCHIVED, Assignment.signed_at.is_(None))
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return session.scalar(query.with_only_columns(func.count()))


# --- 进展报送 ----------------------------------------------------------------


def submit_progress(
    session: Session,
    actor: Actor,
    assignment_id: int,
    *,
    text: str,
    percent: int,
    attachments: Sequence[AttachmentUpload] = (),
    now: datetime,
    max_attachment_bytes: int = 10 * 1024 * 1024,
) -> ProgressReport:
    """A progress report: signs the item if it was not, never changes a checkpoint's state."""
    assignment = own_work(session, actor, assignment_id)
    if not text.strip():
        raise Invalid("进展内容不能为空")
    if not 0 <= percent <= 100:
        raise Invalid("完成百分比必须在 0 到 100 之间")
    if not session.scalar(select(open_checkpoint().where(Milestone.assignment_id == assignment.id))):
        raise Conflict("该督办件已办结（销号），不需要再报送进展")
    report = ProgressReport(
        assignment_id=assignment.id, author_id=actor.user_id, text=text.strip(), percent=percent, created_at=now
    )
    report.attachments = stored_attachments(attachments, max_attachment_bytes)
    session.add(report)
    if assignment.signed_at is None:
        sign(session, actor, [assignment], now=now)  # reporting is the strongest acknowledgement
    session.flush()
    record(session, actor, "assignment.progress", "assignment", assignment.id,
           after={"progress_report_id": report.id, "percent": percent}, now=now)
    return report


def progress_of(session: Session, assignment: Assignment) -> list[ProgressReport]:
    return list(
        session.scalars(
            select(ProgressReport).where(ProgressReport.assignment_id == assignment.id).order_by(ProgressReport.id)
        )
    )


def review_progress(
    session: Session, actor: Actor, progress_id: int, *, decision: str, comment: str | None, now: datetime
) -> ProgressReport:
    """The office's 已阅 (read) or 要求补充 (more, with the comment the unit sees)."""
    report = session.get(ProgressReport, progress_id)
    if report is None:
        raise NotFound(f"进展报送 {progress_id} 不存在")
    assignment = get_assignment(session, actor, report.assignment_id)
    actor.require_admin_of(assignment.measure.plan.office_id)
    if decision not in (PROGRESS_READ, PROGRESS_MORE):
        raise Invalid("意见必须是 已阅（read）或 要求补充（more）")
    comment = (comment or "").strip() or None
    if decision == PROGRESS_MORE and comment is None:
        raise Invalid("要求补充时请写明需要补充什么")
    locked = lock_for_change(session, ProgressReport, progress_id)
    if locked.review is not None:
        raise Conflict("这条进展刚刚已被处理过，请刷新后查看")
    locked.review = decision
    locked.review_comment = comment
    locked.reviewed_by = actor.user_id
    locked.reviewed_at = now
    record(session, actor, f"progress.{decision}", "assignment", assignment.id,
           after={"progress_report_id": locked.id, "comment": comment}, now=now)
    if decision == PROGRESS_MORE:
        # The notice names the item through its current checkpoint (its last one once done).
        milestones = list(session.scalars(
            select(Milestone).where(Milestone.assignment_id == assignment.id).order_by(Milestone.due_date, Milestone.id)
        ))
        about = next((m for m in milestones if m.state != APPROVED), milestones[-1])
        events.emit(session, EVENT_PROGRESS_MORE, about, now=now, comment=comment)
    return locked


def contributions_for(session: Session, assignment: Assignment) -> list[tuple[Assignment, ProgressReport]]:
    """The support units' progress on the same measure, for the lead to see."""
    if assignment.role != ROLE_LEAD:
        return []
    rows = session.execute(
        select(Assignment, ProgressReport)
        .join(ProgressReport, ProgressReport.assignment_id == Assignment.id)
        .where(Assignment.measure_id == assignment.measure_id, Assignment.role == ROLE_SUPPORT)
        .options(selectinload(ProgressReport.attachments))
        .order_by(ProgressReport.id)
    )
    return [(a, p) for a, p in rows]


def may_read_progress(session: Session, actor: Actor, report: ProgressReport) -> bool:
    """Its own item's reader, or the lead unit of the measure a support unit reported on."""
    try:
        get_assignment(session, actor, report.assignment_id)
        return True
    except NotFound:
        pass
    if actor.department_id is None:
        return False
    measure_id = session.get(Assignment, report.assignment_id).measure_id
    return session.scalars(
        visible_assignments(actor).where(Assignment.measure_id == measure_id, Assignment.role == ROLE_LEAD)
    ).first() is not None


CHASE_STATUSES = (UNSIGNED, DUE_SOON, OVERDUE, STATUS_RETURNED, AWAITING_REVIEW)


@dataclass(frozen=True)
class UnitCounts:
    """Whom to chase: one unit's items in each work-list status, over its items in active plans."""

    department_id: int
    total: int
    counts: dict[str, int]


def unit_counts(session: Session, actor: Actor, *, today: date, due_soon_until: date) -> list[UnitCounts]:
    """Per unit, how many of its 督办件 in the actor's active plans are unsigned, due soon,
    overdue, returned or awaiting review: one grouped query."""
    columns = [
        func.sum(case((status_condition(s, today=today, due_soon_until=due_soon_until), 1), else_=0)).label(s)
        for s in CHASE_STATUSES
    ]
    rows = session.execute(
        visible_assignments(actor).where(Plan.status == PLAN_ACTIVE)
        .with_only_columns(Assignment.department_id, func.count().label("total"), *columns)
        .group_by(Assignment.department_id)
    )
    return [UnitCounts(r.department_id, r.total, {s: int(getattr(r, s) or 0) for s in CHASE_STATUSES}) for r in rows]


# --- reporting cycles (定期报送) -------------------------------------------------


def cycle_window(cycle: str, day: int | None, today: date) -> tuple[date, date] | None:
    """The reporting period that contains `today` (first and last day), or None for no cycle.

    Weekly: Monday to Sunday; monthly by day N: the day after the previous month's Nth to
    this period's Nth; quarterly: the calendar quarter."""
    if cycle == CYCLE_WEEKLY:
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if cycle == CYCLE_MONTHLY:
        n = day or 28
        end = date(today.year, today.month, n)
        if today > end:
            end = date(today.year + (today.month == 12), today.month % 12 + 1, n)
        previous = date(end.year - (end.month == 1), (end.month - 2) % 12 + 1, n)
        return previous + timedelta(days=1), end
    if cycle == CYCLE_QUARTERLY:
        first_month = (today.month - 1) // 3 * 3 + 1
        last_month = first_month + 2
        return date(today.year, first_month, 1), date(today.year, last_month, monthrange(today.year, last_month)[1])
    return None


@dataclass(frozen=True)
class ReportingRate:
    """One unit's progress reporting in the current and the previous period of its plans' cycles."""

    department_id: int
    owing: int  # open items in plans with a reporting cycle
    reported_now: int  # of them, reported in the current period
    reported_last: int  # reported in the previous period (on time)


def reporting_rates(session: Session, actor: Actor, *, today: date, tz) -> dict[int, ReportingRate]:
    """Per unit, its open items under a reporting cycle and how many reported in this and the last period."""
    rows = session.execute(
        visible_assignments(actor)
        .where(Plan.status == PLAN_ACTIVE, Plan.reporting_cycle != CYCLE_NONE, open_checkpoint())
        .with_only_columns(Assignment.id, Assignment.department_id, Plan.reporting_cycle, Plan.reporting_day)
    ).all()
    windows = {}
    for r in rows:
        current = cycle_window(r.reporting_cycle, r.reporting_day, today)
        windows[r.id] = (current, cycle_window(r.reporting_cycle, r.reporting_day, current[0] - timedelta(days=1)))
    earliest = min((w[1][0] for w in windows.values()), default=today)
    reported: dict[int, list[date]] = {}
    ids = list(windows)
    for start in range(0, len(ids), 5000):
        for assignment_id, created in session.execute(
            select(ProgressReport.assignment_id, ProgressReport.created_at).where(
                ProgressReport.assignment_id.in_(ids[start : start + 5000]),
                ProgressReport.created_at >= datetime.combine(earliest - timedelta(days=1), datetime.min.time(), tz),
            )
        ):
            reported.setdefault(assignment_id, []).append(created.astimezone(tz).date())
    counts: dict[int, list[int]] = {}
    for r in rows:
        (now_start, now_end), (last_start, last_end) = windows[r.id]
        days = reported.get(r.id, [])
        c = counts.setdefault(r.department_id, [0, 0, 0])
        c[0] += 1
        c[1] += any(now_start <= d <= now_end for d in days)
        c[2] += any(last_start <= d <= last_end for d in days)
    return {dep: ReportingRate(dep, *c) for dep, c in counts.items()}


# --- 上下级联动: the child office's items carrying out an issued one -----------------


@dataclass(frozen=True)
class LinkedFigures:
    """What the parent sees beside a child office's own reports on an issued 督办件:
    the child's measures carrying it out and their checkpoints, computed."""

    measures: int = 0  # decomposed, in a draft or a started plan
    checkpoints: int = 0
    closed: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        """Checkpoints still owed and not yet overdue."""
        return self.checkpoints - self.closed - self.overdue


def linked_figures(session: Session, parent_ids: Sequence[int], *, today: date) -> dict[int, LinkedFigures]:
    """Per issued 督办件 in `parent_ids`, the figures of the child measures linked to it (two grouped queries)."""
    if not parent_ids:
        return {}
    measures = dict(session.execute(
        select(Measure.parent_assignment_id, func.count()).where(Measure.parent_assignment_id.in_(parent_ids))
        .group_by(Measure.parent_assignment_id)
    ).all())
    checkpoints = {
        r.parent_id: r for r in session.execute(
            select(
                Measure.parent_assignment_id.label("parent_id"), func.count().label("total"),
                func.sum(case((Milestone.state == APPROVED, 1), else_=0)).label("closed"),
                func.sum(case((overdue_sql(today), 1), else_=0)).label("overdue"),
            )
            .select_from(Milestone)
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .join(Measure, Measure.id == Assignment.measure_id)
            .where(Measure.parent_assignment_id.in_(parent_ids))
            .group_by(Measure.parent_assignment_id)
        )
    }
    found = {}
    for parent_id, count in measures.items():
        row = checkpoints.get(parent_id)
        found[parent_id] = LinkedFigures(
            count, *((int(row.total), int(row.closed or 0), int(row.overdue or 0)) if row else (0, 0, 0))
        )
    return found
