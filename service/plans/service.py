"""Plans: create from the parser's JSON shape, read as a tree, their status (activation,
archive: the steps across domains are in service/flows/)."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service.audit.service import record
from service.auth.actor import Actor
from service.database import lock_for_change, unique_or_conflict
from service.departments.models import (
    KIND_GROUP,
    KIND_UNIT,
    Department,
    DepartmentGroupMember,
)
from service.departments.service import group_member_ids, name_index, normalize_name
from service.errors import Conflict, DomainError, Invalid, NotFound
from service.plans.models import (
    CYCLE_MONTHLY,
    PLAN_ACTIVE,
    PLAN_ARCHIVED,
    PLAN_DRAFT,
    PLAN_STATUS_LABELS,
    REPORTING_CYCLES,
    ROLE_LEAD,
    ROLE_SUPPORT,
    Assignment,
    Measure,
    MeasureOffer,
    Phase,
    Plan,
    Section,
    Task,
)


@dataclass
class CreatedPlan:
    plan: Plan
    matched_departments: list[str] = field(default_factory=list)
    unmatched_departments: list[str] = field(default_factory=list)
    # The plan's units by name (those it names, and confirmed ones of the directory), for
    # what else the import attaches to the plan (its indicators).
    department_of: Callable[[str], Department | None] = lambda name: None


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


def create_draft(
    session: Session, actor: Actor, data: dict, *, now: datetime, source_text: str | None = None
) -> CreatedPlan:
    """A draft plan from the JSON shape `duban plan parse` prints, without its indicators
    (service.flows.plan_creation adds them)."""
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
    record(
        session, actor, "plan.create", "plan", plan.id,
        after={"title": plan.title, "measures": measure_position, "unmatched_departments": resolver.unmatched},
        now=now,
    )
    return CreatedPlan(plan, resolver.matched, resolver.unmatched, resolver.known)


def visible_plans(actor: Actor):
    """Plans the actor may read: the office's (and its children's); a department, those it has work in.

    A department has work (milestones) in a started plan that assigns it: activation creates a
    milestone per assignment, and a merge of units moves both."""
    query = select(Plan).where(Plan.office_id.in_(actor.readable_office_ids))
    if actor.department_id is not None:
        assigned = (
            select(Measure.plan_id).join(Assignment, Assignment.measure_id == Measure.id)
            .where(Assignment.department_id == actor.department_id)
        )
        query = query.where(Plan.status != PLAN_DRAFT, Plan.id.in_(assigned))
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


def issuing_groups(session: Session, office_id: int) -> dict[int, list[int]]:
    """The office's groups standing for child offices (a member stands for one), with their members:
    activation always expands them (下发), each child office then working its own 督办件."""
    groups = set(session.scalars(
        select(DepartmentGroupMember.group_id).join(Department, Department.id == DepartmentGroupMember.member_id)
        .where(Department.office_id == office_id, Department.represents_office_id.is_not(None))
    ))
    return {g: group_member_ids(session, g) for g in sorted(groups)}


def _expand_groups(session: Session, plan: Plan, *, every_group: bool) -> None:
    """Replace each assignment to a group (各区政府) by one per member department, keeping its
    role: for every group when the office asks, else for the groups standing for child offices."""
    issuing = issuing_groups(session, plan.office_id)
    if not (every_group or issuing):
        return
    for measure in plan.measures:
        for assignment in list(measure.assignments):
            department = session.get(Department, assignment.department_id)
            if department.kind != KIND_GROUP or not (every_group or department.id in issuing):
                continue
            assigned = {a.department_id for a in measure.assignments}
            measure.assignments.remove(assignment)
            for member_id in issuing.get(department.id) or group_member_ids(session, department.id):
                if member_id not in assigned:
                    measure.assignments.append(Assignment(department_id=member_id, role=assignment.role))
    session.flush()


@dataclass(frozen=True)
class Blocker:
    """Something that keeps a draft from being activated, and where on the
    review page it is put right (`anchor`, an element id)."""

    message: str
    anchor: str
    error: type[DomainError] = Invalid
    # The measures concerned, each a spot of its own on the page.
    measure_ids: tuple[int, ...] = ()


def activation_blockers(session: Session, plan: Plan) -> list[Blocker]:
    """Everything activation would refuse, in the order the office settles it."""
    blockers = []
    unconfirmed = session.scalar(
        select(func.count(func.distinct(Department.id)))
        .join(Assignment, Assignment.department_id == Department.id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .where(Measure.plan_id == plan.id, Department.confirmed.is_(False))
    )
    if unconfirmed:
        blockers.append(Blocker(f"还有 {unconfirmed} 个单位未确认，请先完成单位匹配", "mapping", Conflict))
    undated = [m for m in plan.measures if m.deadline is None]
    if undated and not plan.phases:
        blockers.append(
            Blocker(f"计划没有推进阶段，且 {len(undated)} 条措施没有完成时限，无法生成节点，请添加推进阶段", "phases")
        )
    # A measure without a lead would get no milestone at all and drop out of supervision unseen.
    leaderless = tuple(m.id for m in plan.measures if not any(a.role == ROLE_LEAD for a in m.assignments))
    if leaderless:
        blockers.append(
            Blocker(f"{len(leaderless)} 条措施没有牵头单位", f"measure-{leaderless[0]}", measure_ids=leaderless)
        )
    if plan.choice_deadline is None and offered_assignments(session, plan):
        blockers.append(Blocker("选做任务由下级办公室自行选择，请先设定选做申报截止日期", "choices"))
    return blockers


def offered_assignments(session: Session, plan: Plan) -> list[Assignment]:
    """The assignments of optional tasks' measures to groups standing for child offices, or to a
    unit standing for one: each child office chooses whether it takes the task (选做), so they
    are offered, not issued."""
    offering = set(issuing_groups(session, plan.office_id)) | set(session.scalars(
        select(Department.id).where(Department.office_id == plan.office_id, Department.represents_office_id.is_not(None))
    ))
    return [
        a for m in plan.measures if m.task is not None and m.task.mandatory is False
        for a in m.assignments if a.department_id in offering
    ]


def _offer_optional(session: Session, plan: Plan) -> None:
    for assignment in offered_assignments(session, plan):
        session.add(MeasureOffer(measure_id=assignment.measure_id, group_id=assignment.department_id, role=assignment.role))
        assignment.measure.assignments.remove(assignment)
    session.flush()


def check_activatable(session: Session, actor: Actor, plan_id: int, *, expand_groups: bool = False) -> Plan:
    """A draft the actor may activate (locked for the change): every department
    confirmed, groups expanded into their members when asked, and a deadline for
    every measure."""
    plan_to_change(session, actor, plan_id, PLAN_DRAFT, "启动")
    plan = get_plan(session, actor, plan_id)
    blockers = activation_blockers(session, plan)
    if blockers:
        raise blockers[0].error(blockers[0].message)
    _offer_optional(session, plan)
    _expand_groups(session, plan, every_group=expand_groups)
    return plan


def set_task_mandatory(session: Session, actor: Actor, plan_id: int, task_id: int, mandatory: bool | None, *,
                       now: datetime) -> Task:
    """必做 (true), 选做 (false) or unsaid (null, worked as 必做) for a task of a draft."""
    plan = get_editable_draft(session, actor, plan_id)
    task = next((t for t in plan.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在")
    before = {"mandatory": task.mandatory}
    task.mandatory = mandatory
    record(session, actor, "task.mandatory", "task", task.id, before=before, after={"mandatory": mandatory}, now=now)
    return task


def set_choice_deadline(session: Session, actor: Actor, plan_id: int, deadline: date | None, *, now: datetime) -> Plan:
    """选做申报截止日期: until that day child offices choose optional tasks themselves."""
    plan = unarchived_plan_to_change(session, actor, plan_id, "选做申报截止日期")
    if deadline is None and plan.status != PLAN_DRAFT:
        raise Invalid("计划已启动，选做申报截止日期不能取消")
    before = {"choice_deadline": plan.choice_deadline.isoformat() if plan.choice_deadline else None}
    plan.choice_deadline = deadline
    record(session, actor, "plan.choice_deadline", "plan", plan.id, before=before,
           after={"choice_deadline": deadline.isoformat() if deadline else None}, now=now)
    return plan


def mark_activated(session: Session, actor: Actor, plan: Plan, *, milestones_created: int, now: datetime) -> None:
    plan.status = PLAN_ACTIVE
    plan.activated_at = now
    session.flush()
    record(
        session, actor, "plan.activate", "plan", plan.id,
        before={"status": PLAN_DRAFT}, after={"status": PLAN_ACTIVE, "milestones_created": milestones_created},
        now=now,
    )


def _locked_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    plan = session.scalars(visible_plans(actor).where(Plan.id == plan_id)).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    actor.require_admin_of(plan.office_id)
    return lock_for_change(session, Plan, plan.id)


def unarchived_plan_to_change(session: Session, actor: Actor, plan_id: int, what: str) -> Plan:
    """A plan whose setting `what` the actor may change in any state but archived, locked."""
    plan = _locked_plan(session, actor, plan_id)
    if plan.status == PLAN_ARCHIVED:
        raise Conflict(f"计划已归档，不能再修改{what}")
    return plan


def plan_to_change(session: Session, actor: Actor, plan_id: int, status: str, action: str) -> Plan:
    """A plan the actor may change, in `status`: reach first (404), then role (403), then
    state (409), checked on the plan locked for the change (of concurrent requests one
    wins: two activations at once would each create every milestone). Lock it before
    loading its tree: the lock's re-read drops collections loaded earlier."""
    plan = _locked_plan(session, actor, plan_id)
    if plan.status != status:
        raise Conflict(
            f"计划当前状态为“{PLAN_STATUS_LABELS.get(plan.status, plan.status)}”，"
            f"只有{PLAN_STATUS_LABELS[status]}的计划可以{action}"
        )
    return plan


def mark_archived(
    session: Session, actor: Actor, plan: Plan, *, unfinished: int, notices_dropped: int, now: datetime
) -> None:
    plan.status = PLAN_ARCHIVED
    record(
        session, actor, "plan.archive", "plan", plan.id,
        before={"status": PLAN_ACTIVE},
        after={"status": PLAN_ARCHIVED, "unfinished_milestones": unfinished, "notices_dropped": notices_dropped},
        now=now,
    )


def set_reporting_cycle(
    session: Session, actor: Actor, plan_id: int, *, cycle: str, day: int | None, now: datetime
) -> Plan:
    """How often each open 督办件 of the plan owes a progress report (none, weekly, monthly by
    day N, quarterly); the office's admin sets it, in any state but archived."""
    if cycle not in REPORTING_CYCLES:
        raise Invalid(f"报送周期必须是 {'、'.join(REPORTING_CYCLES.values())} 之一（{', '.join(REPORTING_CYCLES)}）")
    if cycle == CYCLE_MONTHLY and not (day and 1 <= day <= 28):
        raise Invalid("每月报送须指定每月的报送日（1 到 28 日）")
    plan = unarchived_plan_to_change(session, actor, plan_id, "报送周期")
    before = {"reporting_cycle": plan.reporting_cycle, "reporting_day": plan.reporting_day}
    plan.reporting_cycle = cycle
    plan.reporting_day = day if cycle == CYCLE_MONTHLY else None
    record(session, actor, "plan.reporting_cycle", "plan", plan.id, before=before,
           after={"reporting_cycle": cycle, "reporting_day": plan.reporting_day}, now=now)
    return plan


def mark_restored(session: Session, actor: Actor, plan: Plan, *, unfinished: int, now: datetime) -> None:
    plan.status = PLAN_ACTIVE
    record(
        session, actor, "plan.restore", "plan", plan.id,
        before={"status": PLAN_ARCHIVED}, after={"status": PLAN_ACTIVE, "unfinished_milestones": unfinished}, now=now,
    )


def get_editable_draft(session: Session, actor: Actor, plan_id: int) -> Plan:
    """A draft plan the actor may change: role first (403), then reach (404), then state (409)."""
    actor.require_admin()
    plan_to_change(session, actor, plan_id, PLAN_DRAFT, "修改")
    return get_plan(session, actor, plan_id)


def _measure_snapshot(measure: Measure) -> dict:
    snapshot = {
        "text": measure.text,
        "deadline": measure.deadline.isoformat() if measure.deadline else None,
        "lead": [a.department_id for a in measure.assignments if a.role == ROLE_LEAD],
        "support": [a.department_id for a in measure.assignments if a.role == ROLE_SUPPORT],
    }
    if measure.parent_assignment_id is not None:
        snapshot["late_reason"] = measure.late_reason
    return snapshot


def update_measure(
    session: Session, actor: Actor, plan_id: int, measure_id: int, values: dict, *, now: datetime
) -> Measure:
    """Correct a draft's measure before activation: `text`, `deadline`, `lead`, `support`,
    and for one carrying out a parent office's 督办件 `late_reason`.

    `lead` and `support` are lists of department ids and replace that role's
    departments; a department in both stays lead.
    """
    plan = get_editable_draft(session, actor, plan_id)
    measure = next((m for m in plan.measures if m.id == measure_id), None)
    if measure is None:
        raise NotFound(f"计划 {plan_id} 中没有措施 {measure_id}")
    return change_measure(session, actor, plan, measure, values, now=now)


def change_measure(
    session: Session, actor: Actor, plan: Plan, measure: Measure, values: dict, *, now: datetime
) -> Measure:
    """`update_measure` on a measure of a draft the caller has already loaded and
    checked (`get_editable_draft`): the same rules and audit, for many measures at once."""
    before = _measure_snapshot(measure)
    if "text" in values:
        measure.text = _require_text(values["text"], "措施内容")
    if "deadline" in values:
        value = values["deadline"]
        measure.deadline = value if isinstance(value, date) or value is None else _parse_date(value, "措施")
    if "lead" in values or "support" in values:
        _assign(session, plan, measure, values.get("lead", before["lead"]), values.get("support", before["support"]))
    if "late_reason" in values:
        if measure.parent_assignment_id is None:
            raise Invalid("只有分解落实上级交办的措施才需要说明晚于上级时限的理由")
        measure.late_reason = (values["late_reason"] or "").strip() or None
    session.flush()
    record(
        session, actor, "measure.update", "measure", measure.id,
        before=before, after=_measure_snapshot(measure), now=now,
    )
    return measure


def _assign(session: Session, plan: Plan, measure: Measure, lead: list[int] | None, support: list[int] | None) -> None:
    """The measure's lead and support units (ids of the plan's office; one in both stays lead)."""
    lead = list(dict.fromkeys(lead or []))
    support = [d for d in dict.fromkeys(support or []) if d not in lead]
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


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def last_deadline(plan: Plan, deadline: date | None) -> date | None:
    """When a measure of the plan is done at the latest: its own deadline, else the plan's last phase."""
    return deadline or max((p.deadline for p in plan.phases), default=None)


def late_without_reason(plan: Plan, due_by: dict[int, date]) -> list[Measure]:
    """The plan's measures carrying out a parent's 督办件 (due by `due_by[its id]`) that now end
    later than it without saying why: their deadline or the plan's phases may have moved since."""
    return [
        m for m in plan.measures
        if m.parent_assignment_id in due_by and m.late_reason is None
        and (last_deadline(plan, m.deadline) or date.min) > due_by[m.parent_assignment_id]
    ]


def add_linked_measure(
    session: Session,
    actor: Actor,
    plan: Plan,
    *,
    text: str,
    deadline: date | None,
    lead: list[int],
    support: list[int],
    parent_assignment_id: int,
    due_by: date,
    late_reason: str | None,
    now: datetime,
) -> Measure:
    """分解落实: a measure of the office's draft (`get_editable_draft`) carrying out a parent
    office's 督办件 due by `due_by`. Its last deadline (its own, else the plan's last phase)
    later than that needs a reason, which the parent sees."""
    if not lead:
        raise Invalid("请至少指定一个牵头单位")
    last = last_deadline(plan, deadline)
    if last is None:
        raise Invalid("请给出措施的完成时限，或先为计划添加推进阶段")
    late_reason = (late_reason or "").strip() or None
    if last > due_by and late_reason is None:
        raise Invalid(f"完成时限{_chinese_date(last)}晚于上级要求的{_chinese_date(due_by)}，请说明理由（上级可见）")
    measure = Measure(
        position=max((m.position for m in plan.measures), default=0) + 1,
        text=_require_text(text, "措施内容"),
        deadline=deadline,
        parent_assignment_id=parent_assignment_id,
        late_reason=late_reason if last > due_by else None,
    )
    plan.measures.append(measure)
    _assign(session, plan, measure, lead, support)
    session.flush()
    record(
        session, actor, "measure.decompose", "measure", measure.id,
        after=_measure_snapshot(measure) | {"parent_assignment_id": parent_assignment_id, "late_reason": measure.late_reason},
        now=now,
    )
    return measure
