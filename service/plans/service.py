"""Plans: create from the parser's JSON shape, read as a tree, activate."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service.audit.service import record
from service.database import lock_for_change, unique_or_conflict
from service.auth.actor import Actor
from service.delivery.models import AUDIENCE_DEPARTMENT, Channel
from service.departments.models import KIND_GROUP, KIND_UNIT, Department
from service.departments.service import group_member_ids, name_index, normalize_name
from service.errors import Conflict, Invalid, NotFound
from service.indicators.service import add_parsed_indicators
from service.milestones.models import APPROVED, Milestone
from service.plans.models import (
    PLAN_ACTIVE,
    PLAN_ARCHIVED,
    PLAN_DRAFT,
    PLAN_STATUS_LABELS,
    ROLE_LEAD,
    ROLE_SUPPORT,
    Assignment,
    Measure,
    Phase,
    Plan,
    Section,
    Task,
)
from service.reminders import service as reminders
from service.workdays import WorkdayCalendar


@dataclass
class CreatedPlan:
    plan: Plan
    matched_departments: list[str] = field(default_factory=list)
    unmatched_departments: list[str] = field(default_factory=list)


def _parse_date(value: object, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{what} 的日期 {value!r} 不是 YYYY-MM-DD 格式") from None


def _require_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{what} 不能为空")
    return value.strip()


def is_group_name(name: str) -> bool:
    """各区政府, 市知识产权工作领导小组成员单位: one assignee that stands for many units."""
    return name.startswith("各") or name.endswith("成员单位")


class _DepartmentResolver:
    """Resolves department names for one plan, creating unknown ones unconfirmed."""

    def __init__(self, session: Session, actor: Actor, now: datetime):
        self.session, self.actor, self.now = session, actor, now
        self.by_name: dict[str, Department] = {}
        # One query for the whole plan instead of one per name.
        self.directory = name_index(session, actor.office_id)
        self.matched: list[str] = []
        self.unmatched: list[str] = []

    def resolve(self, raw_name: object) -> Department:
        name = normalize_name(_require_text(raw_name, "单位名称"))
        if name in self.by_name:
            return self.by_name[name]
        department = self.directory.get(name)
        if department is not None and department.confirmed:
            self.matched.append(name)
        else:
            if department is None:
                department = Department(
                    office_id=self.actor.office_id,
                    name=name,
                    kind=KIND_GROUP if is_group_name(name) else KIND_UNIT,
                    confirmed=False,
                    created_at=self.now,
                )
                with unique_or_conflict(self.session, f"单位“{name}”刚刚已由他人添加，请重新提交"):
                    self.session.add(department)
            self.unmatched.append(name)
        self.by_name[name] = department
        return department

    def known(self, raw_name: str) -> Department | None:
        """A department this plan already names, or a confirmed one of the directory; never a new one."""
        name = normalize_name(raw_name)
        if name in self.by_name:
            return self.by_name[name]
        department = self.directory.get(name)
        return department if department is not None and department.confirmed else None


def create_plan_from_parsed(
    session: Session, actor: Actor, data: dict, *, now: datetime, source_text: str | None = None
) -> CreatedPlan:
    """A draft plan from the JSON shape `duban plan parse` prints."""
    actor.require_admin()
    if not isinstance(data, dict):
        raise Invalid("计划内容必须是 JSON 对象")
    plan = Plan(
        office_id=actor.office_id,
        title=_require_text(data.get("title"), "计划标题 title"),
        doc_number=(data.get("doc_number") or None),
        issuer=(data.get("issuer") or None),
        issued_date=_parse_date(data.get("issued_date"), "issued_date"),
        status=PLAN_DRAFT,
        source_text=source_text,
        created_at=now,
    )
    session.add(plan)
    for position, raw in enumerate(data.get("phases") or [], start=1):
        deadline = _parse_date(raw.get("deadline"), f"阶段 {position}")
        if deadline is None:
            raise Invalid(f"阶段 {position} 缺少 deadline")
        plan.phases.append(Phase(position=position, name=_require_text(raw.get("name"), f"阶段 {position} 名称"), deadline=deadline))
    if plan.phases:
        plan.period_end = max(p.deadline for p in plan.phases)

    resolver = _DepartmentResolver(session, actor, now)
    sections: dict[str, Section] = {}
    measure_position = 0

    def add_measure(raw: dict, task: Task | None, where: str) -> None:
        nonlocal measure_position
        measure_position += 1
        measure = Measure(
            position=measure_position,
            text=_require_text(raw.get("text"), f"{where} 的措施内容"),
            deadline=_parse_date(raw.get("deadline"), f"{where} 的措施"),
            task=task,
        )
        plan.measures.append(measure)
        seen: set[int] = set()
        for role, key in ((ROLE_LEAD, "lead"), (ROLE_SUPPORT, "support")):
            for name in raw.get(key) or []:
                department = resolver.resolve(name)
                if department.id in seen:
                    continue  # a unit named as both lead and support stays lead
                seen.add(department.id)
                measure.assignments.append(Assignment(department_id=department.id, role=role))

    for task_position, raw_task in enumerate(data.get("tasks") or [], start=1):
        section_title = (raw_task.get("section") or "").strip()
        section = None
        if section_title:
            section = sections.get(section_title)
            if section is None:
                section = Section(position=len(sections) + 1, title=section_title)
                sections[section_title] = section
                plan.sections.append(section)
        task = Task(
            position=task_position,
            number=str(raw_task.get("number") or task_position),
            title=_require_text(raw_task.get("title"), f"任务 {task_position} 标题"),
            mandatory=raw_task.get("mandatory"),
            section=section,
        )
        plan.tasks.append(task)
        for raw_measure in raw_task.get("measures") or []:
            add_measure(raw_measure, task, f"任务 {task.number}")
    for raw_measure in data.get("measures_outside_tasks") or []:
        add_measure(raw_measure, None, "任务之外")

    session.flush()
    add_parsed_indicators(session, plan, data.get("indicators"), department_of=resolver.known)
    record(
        session, actor, "plan.create", "plan", plan.id,
        after={"title": plan.title, "measures": measure_position, "unmatched_departments": resolver.unmatched},
        now=now,
    )
    return CreatedPlan(plan, resolver.matched, resolver.unmatched)


def visible_plans(actor: Actor):
    """Plans the actor may read: the office's (and its children's); a department, those it has work in."""
    query = select(Plan).where(Plan.office_id.in_(actor.readable_office_ids))
    if actor.department_id is not None:
        query = query.where(
            Plan.id.in_(select(Milestone.plan_id).where(Milestone.department_id == actor.department_id))
        )
    return query


def list_plans(session: Session, actor: Actor, *, statuses: Collection[str] | None = None) -> list[Plan]:
    """The plans the actor may read, newest first; `statuses` keeps those in the given states."""
    query = visible_plans(actor)
    if statuses is not None:
        query = query.where(Plan.status.in_(statuses))
    return list(session.scalars(query.order_by(Plan.id.desc())))


def get_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    plan = session.scalars(
        visible_plans(actor)
        .where(Plan.id == plan_id)
        .options(
            selectinload(Plan.phases),
            selectinload(Plan.sections),
            selectinload(Plan.tasks),
            selectinload(Plan.measures).selectinload(Measure.assignments),
        )
    ).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    return plan


def _expand_groups(session: Session, plan: Plan) -> None:
    """Replace each assignment to a group (各区政府) by one per member department."""
    for measure in plan.measures:
        for assignment in list(measure.assignments):
            department = session.get(Department, assignment.department_id)
            if department.kind != KIND_GROUP:
                continue
            assigned = {a.department_id for a in measure.assignments}
            measure.assignments.remove(assignment)
            for member_id in group_member_ids(session, department.id):
                if member_id not in assigned:
                    measure.assignments.append(Assignment(department_id=member_id, role=assignment.role))
    session.flush()


@dataclass(frozen=True)
class ActivationSummary:
    """What starting a draft plan creates: the office confirms it before it happens."""

    units: int  # departments that receive work
    items: int  # 督办件: one per measure and department
    milestones: int  # checkpoints: an item's phases (or its measure's own deadline)
    notices: int  # 交办通知: one per unit and channel or address (more if a channel's size limit splits it)
    units_unreachable: int  # units with no channel and no address: they hear of nothing


def activation_summary(session: Session, actor: Actor, plan_id: int) -> ActivationSummary:
    plan = get_plan(session, actor, plan_id)
    assignments = [a for m in plan.measures for a in m.assignments]
    phases = len(plan.phases)
    milestones = sum(1 if m.deadline else phases for m in plan.measures for _ in m.assignments)
    unit_ids = {a.department_id for a in assignments}
    emails = dict(session.execute(select(Department.id, Department.emails).where(Department.id.in_(unit_ids))).all())
    channels = dict(session.execute(
        select(Channel.department_id, func.count()).where(
            Channel.department_id.in_(unit_ids), Channel.enabled.is_(True), Channel.audience == AUDIENCE_DEPARTMENT,
        ).group_by(Channel.department_id)
    ).all())
    reach = {u: channels.get(u, 0) + len({e.strip().lower() for e in emails.get(u) or () if e.strip()}) for u in unit_ids}
    return ActivationSummary(
        units=len(unit_ids), items=len(assignments), milestones=milestones, notices=sum(reach.values()),
        units_unreachable=sum(1 for n in reach.values() if n == 0),
    )


def activate_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    *,
    now: datetime,
    calendar: WorkdayCalendar,
    support_lead_workdays: int,
    expand_groups: bool = False,
) -> int:
    """Create a milestone per assignment and phase (or the measure's own deadline).

    Support milestones fall due `support_lead_workdays` workdays before the lead's,
    so the lead has its supporters' contributions in hand when it writes its report.
    Returns how many milestones were created.
    """
    _plan_to_change(session, actor, plan_id, PLAN_DRAFT, "启动")
    plan = get_plan(session, actor, plan_id)
    unconfirmed = session.scalar(
        select(func.count(func.distinct(Department.id)))
        .join(Assignment, Assignment.department_id == Department.id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .where(Measure.plan_id == plan.id, Department.confirmed.is_(False))
    )
    if unconfirmed:
        raise Conflict(f"还有 {unconfirmed} 个单位未确认，请先完成单位匹配")
    if expand_groups:
        _expand_groups(session, plan)
    lead_days = plan.support_lead_workdays if plan.support_lead_workdays is not None else support_lead_workdays
    undated = [m.position for m in plan.measures if m.deadline is None and not plan.phases]
    if undated:
        raise Invalid(f"计划没有推进阶段，且 {len(undated)} 条措施没有完成时限，无法生成节点")

    created = 0
    for measure in plan.measures:
        deadlines = [(None, measure.deadline)] if measure.deadline else [(p.id, p.deadline) for p in plan.phases]
        for assignment in measure.assignments:
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
                created += 1
    plan.status = PLAN_ACTIVE
    plan.activated_at = now
    session.flush()
    record(
        session, actor, "plan.activate", "plan", plan.id,
        before={"status": PLAN_DRAFT}, after={"status": PLAN_ACTIVE, "milestones_created": created}, now=now,
    )
    reminders.plan_activated(session, plan, now=now)
    return created


def _plan_to_change(session: Session, actor: Actor, plan_id: int, status: str, action: str) -> Plan:
    """A plan the actor may change, in `status`: reach first (404), then role (403), then
    state (409), checked on the plan locked for the change (of concurrent requests one
    wins: two activations at once would each create every milestone). Lock it before
    loading its tree: the lock's re-read drops collections loaded earlier."""
    plan = session.scalars(visible_plans(actor).where(Plan.id == plan_id)).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    actor.require_admin_of(plan.office_id)
    if lock_for_change(session, Plan, plan.id).status != status:
        raise Conflict(
            f"计划当前状态为“{PLAN_STATUS_LABELS.get(plan.status, plan.status)}”，"
            f"只有{PLAN_STATUS_LABELS[status]}的计划可以{action}"
        )
    return plan


def unfinished_milestones(session: Session, plan_id: int) -> int:
    """Milestones of the plan not yet approved (办结)."""
    return session.scalar(
        select(func.count()).where(Milestone.plan_id == plan_id, Milestone.state != APPROVED)
    )


def archive_plan(session: Session, actor: Actor, plan_id: int, *, now: datetime) -> tuple[Plan, int]:
    """归档: the plan is finished or superseded. Its milestones stay readable, but
    get no more reminders and no more workflow actions. Allowed with milestones
    still unfinished (a superseded plan has them); returns how many there are."""
    plan = _plan_to_change(session, actor, plan_id, PLAN_ACTIVE, "归档")
    unfinished = unfinished_milestones(session, plan.id)
    plan.status = PLAN_ARCHIVED
    dropped = reminders.plan_archived(session, plan)
    record(
        session, actor, "plan.archive", "plan", plan.id,
        before={"status": PLAN_ACTIVE},
        after={"status": PLAN_ARCHIVED, "unfinished_milestones": unfinished, "notices_dropped": dropped},
        now=now,
    )
    return plan, unfinished


def restore_plan(session: Session, actor: Actor, plan_id: int, *, now: datetime) -> tuple[Plan, int]:
    """Back from the archive to active: reminders and workflow resume."""
    plan = _plan_to_change(session, actor, plan_id, PLAN_ARCHIVED, "恢复")
    unfinished = unfinished_milestones(session, plan.id)
    plan.status = PLAN_ACTIVE
    reminders.plan_restored(session, plan, now=now)
    record(
        session, actor, "plan.restore", "plan", plan.id,
        before={"status": PLAN_ARCHIVED}, after={"status": PLAN_ACTIVE, "unfinished_milestones": unfinished}, now=now,
    )
    return plan, unfinished


def get_editable_draft(session: Session, actor: Actor, plan_id: int) -> Plan:
    """A draft plan the actor may change: role first (403), then reach (404), then state (409)."""
    actor.require_admin()
    _plan_to_change(session, actor, plan_id, PLAN_DRAFT, "修改")
    return get_plan(session, actor, plan_id)


def _measure_snapshot(measure: Measure) -> dict:
    return {
        "text": measure.text,
        "deadline": measure.deadline.isoformat() if measure.deadline else None,
        "lead": [a.department_id for a in measure.assignments if a.role == ROLE_LEAD],
        "support": [a.department_id for a in measure.assignments if a.role == ROLE_SUPPORT],
    }


def update_measure(
    session: Session, actor: Actor, plan_id: int, measure_id: int, values: dict, *, now: datetime
) -> Measure:
    """Correct a draft's measure before activation: `text`, `deadline`, `lead`, `support`.

    `lead` and `support` are lists of department ids and replace that role's
    departments; a department in both stays lead.
    """
    plan = get_editable_draft(session, actor, plan_id)
    measure = next((m for m in plan.measures if m.id == measure_id), None)
    if measure is None:
        raise NotFound(f"计划 {plan_id} 中没有措施 {measure_id}")
    before = _measure_snapshot(measure)
    if "text" in values:
        measure.text = _require_text(values["text"], "措施内容")
    if "deadline" in values:
        value = values["deadline"]
        measure.deadline = value if isinstance(value, date) or value is None else _parse_date(value, "措施")
    if "lead" in values or "support" in values:
        lead = list(dict.fromkeys(values.get("lead", before["lead"]) or []))
        support = [d for d in dict.fromkeys(values.get("support", before["support"]) or []) if d not in lead]
        wanted = lead + support
        found = set(
            session.scalars(
                select(Department.id).where(Department.id.in_(wanted), Department.office_id == plan.office_id)
            )
        )
        unknown = [d for d in wanted if d not in found]
        if unknown:
            raise Invalid(f"单位 {', '.join(map(str, unknown))} 不是本办公室的单位")
        roles = {d: ROLE_LEAD for d in lead} | {d: ROLE_SUPPORT for d in support}
        # Keep the rows of departments that stay, so no delete and insert of the
        # same (measure, department) pair lands in one flush.
        for assignment in list(measure.assignments):
            if assignment.department_id in roles:
                assignment.role = roles.pop(assignment.department_id)
            else:
                measure.assignments.remove(assignment)
        measure.assignments.extend(Assignment(department_id=d, role=r) for d, r in roles.items())
    session.flush()
    record(
        session, actor, "measure.update", "measure", measure.id,
        before=before, after=_measure_snapshot(measure), now=now,
    )
    return measure
