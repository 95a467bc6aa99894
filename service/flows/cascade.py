"""上下级联动: a parent office's 督办件 issued to a child office (上级交办), which the child's
admins sign, decompose into their own plan and report on (as the unit standing for their
office in the parent's plan); the parent sees per issued measure a row per child office,
with a figure computed from the child's own items."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from service.auth.actor import Actor
from service.departments.models import KIND_GROUP, Department
from service.errors import Forbidden, Invalid, NotFound
from service.flows import plan_creation
from service.milestones import assignments, events
from service.milestones import service as milestones
from service.milestones.assignments import LinkedFigures, WorkItem
from service.milestones.models import Milestone
from service.offices.models import Office
from service.plans import service as plans
from service.plans.models import PLAN_ACTIVE, Assignment, Measure, Plan
from service.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Issued:
    """One 督办件 as the office it was issued to, or the parent watching it, sees it."""

    item: WorkItem
    office: Office  # the parent office for the child's list, the child office for the parent's rows
    measures: list[Measure]  # the child's measures carrying it out
    figures: LinkedFigures

    @property
    def due_by(self) -> date:
        return max(m.due_date for m in self.item.milestones)


def _require_child_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有领导小组办公室管理员可以办理上级交办")


def _issued(session: Session, items: list[WorkItem], offices: dict[int, Office], *, today: date) -> list[Issued]:
    ids = [i.assignment.id for i in items]
    linked: dict[int, list[Measure]] = {i: [] for i in ids}
    if ids:
        for measure in session.scalars(
            select(Measure).where(Measure.parent_assignment_id.in_(ids)).options(selectinload(Measure.plan))
            .order_by(Measure.plan_id, Measure.position)
        ):
            linked[measure.parent_assignment_id].append(measure)
    figures = assignments.linked_figures(session, ids, today=today)
    return [
        Issued(i, offices[i.assignment.id], linked[i.assignment.id], figures.get(i.assignment.id, LinkedFigures()))
        for i in items
    ]


def issued_to_office(session: Session, actor: Actor, *, today: date) -> list[Issued]:
    """上级交办: the parent offices' 督办件 issued to the actor's office, each with the parent
    office (its name only) and the office's own measures carrying it out."""
    _require_child_admin(actor)
    found = list(session.scalars(
        assignments.issued_assignments(actor)
        .options(selectinload(Assignment.measure).selectinload(Measure.plan))
        .order_by(Plan.id, Measure.position, Assignment.id)
    ))
    parents = {o.id: o for o in session.scalars(select(Office).where(Office.id.in_({a.measure.plan.office_id for a in found})))}
    return _issued(session, assignments.work_items(session, found),
                   {a.id: parents[a.measure.plan.office_id] for a in found}, today=today)


def get_issued(session: Session, actor: Actor, assignment_id: int, *, today: date) -> Issued:
    _require_child_admin(actor)
    assignment = session.scalars(assignments.issued_assignments(actor).where(Assignment.id == assignment_id)).first()
    if assignment is None:
        raise NotFound(f"上级交办事项 {assignment_id} 不存在")
    parent = session.get(Office, assignment.measure.plan.office_id)
    return _issued(session, assignments.work_items(session, [assignment]), {assignment.id: parent}, today=today)[0]


def sign_issued(session: Session, actor: Actor, assignment_id: int, *, now: datetime) -> int:
    """签收 of an issued item by the child office's admin; answers 0 when it was signed already."""
    _require_child_admin(actor)
    assignment = assignments.own_work(session, actor, assignment_id)
    return assignments.sign(session, actor, [assignment], now=now)


def decompose(
    session: Session,
    actor: Actor,
    assignment_id: int,
    *,
    plan_id: int | None,
    plan_title: str | None,
    phases: list[dict],
    text: str,
    deadline: date | None,
    lead: list[int],
    support: list[int],
    late_reason: str | None,
    now: datetime,
    calendar: WorkdayCalendar,
    support_lead_workdays: int,
) -> Measure:
    """分解落实: a measure of the child office's plan (an existing draft or started plan by
    `plan_id`, or a new draft titled `plan_title` with `phases`) carrying out the issued item. In
    a draft it is worked once that plan is started; in a started plan its units get their 督办件
    and checkpoints now, as activation gives them. The item is signed."""
    _require_child_admin(actor)
    assignment = assignments.own_work(session, actor, assignment_id)
    if (plan_id is None) == (plan_title is None):
        raise Invalid("请选择本办公室的一个计划（plan_id），或给出新计划的标题（plan_title），二者选一")
    if plan_title is not None and not plan_title.strip():
        raise Invalid("请填写新计划的标题，或选择本办公室的一个计划")
    if plan_id is not None:
        if phases:
            raise Invalid("已有计划的推进阶段请在该计划中修改")
        plan = _plan_to_decompose_into(session, actor, plan_id)
    else:
        plan = plan_creation.create_plan_from_parsed(session, actor, {"title": plan_title, "phases": phases}, now=now).plan
    if plan.status == PLAN_ACTIVE:
        _require_plain_units(session, actor, lead + support)
    due_by = max(m.due_date for m in assignments.work_items(session, [assignment])[0].milestones)
    measure = plans.add_linked_measure(
        session, actor, plan, text=text, deadline=deadline, lead=lead, support=support,
        parent_assignment_id=assignment.id, due_by=due_by, late_reason=late_reason, now=now,
    )
    if plan.status == PLAN_ACTIVE:
        created = [
            m.id for a in measure.assignments
            for m in _milestones_of(session, plan, a, calendar=calendar, support_lead_workdays=support_lead_workdays, now=now)
        ]
        events.milestones_issued(session, created, now=now)
    if assignment.signed_at is None:
        assignments.sign(session, actor, [assignment], now=now)
    return measure


def _plan_to_decompose_into(session: Session, actor: Actor, plan_id: int) -> Plan:
    """The office's draft, or its started plan (locked for the change)."""
    if plans.get_plan(session, actor, plan_id).status == PLAN_ACTIVE:
        plans.plan_to_change(session, actor, plan_id, PLAN_ACTIVE, "分解落实")
        return plans.get_plan(session, actor, plan_id)
    return plans.get_editable_draft(session, actor, plan_id)


def _require_plain_units(session: Session, actor: Actor, unit_ids: list[int]) -> None:
    """A started plan expands no group and maps no name any more: its new measure names
    confirmed units of the office only."""
    found = session.scalars(select(Department).where(Department.id.in_(unit_ids),
                                                     Department.office_id == actor.office_id)).all()
    if any(d.kind == KIND_GROUP or not d.confirmed for d in found):
        raise Invalid("已启动的计划中，分解落实的措施须直接指定本办公室已确认的单位，不能指定单位组")


def _milestones_of(session: Session, plan: Plan, assignment: Assignment, **options) -> list[Milestone]:
    session.flush()
    milestones.create_for_assignment(session, plan, assignment, **options)
    session.flush()
    return list(session.scalars(select(Milestone).where(Milestone.assignment_id == assignment.id)))


def issued_rows(session: Session, actor: Actor, measure_id: int, *, today: date) -> list[Issued]:
    """The parent's view of one measure: a row per child office it was issued to."""
    measure = session.scalars(
        select(Measure).join(Plan, Plan.id == Measure.plan_id)
        .where(Measure.id == measure_id, Plan.office_id.in_(actor.readable_office_ids))
    ).first()
    if measure is None or actor.is_department:
        raise NotFound(f"措施 {measure_id} 不存在")
    rows = session.execute(
        select(Assignment, Office).join(Department, Department.id == Assignment.department_id)
        .join(Office, Office.id == Department.represents_office_id)
        .where(Assignment.measure_id == measure.id).order_by(Assignment.id)
    ).all()
    return _issued(session, assignments.work_items(session, [a for a, _ in rows]),
                   {a.id: office for a, office in rows}, today=today)


@dataclass(frozen=True)
class Share:
    """One child office's share of a parent plan: its issued items and how far they are."""

    office: Office
    items: int
    signed: int
    decomposed: int  # carried out by at least one of the child's own measures
    closed: int  # every checkpoint closed (销号)
    overdue: int


def issues_down(session: Session, plan_id: int) -> bool:
    """Whether the plan has work issued to child offices."""
    return session.scalar(
        select(Assignment.id).join(Measure, Measure.id == Assignment.measure_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Measure.plan_id == plan_id, Department.represents_office_id.is_not(None)).limit(1)
    ) is not None


def plan_shares(session: Session, actor: Actor, plan_id: int, *, today: date) -> list[Share]:
    """Per child office, its share across the parent's plan, in one grouped query."""
    plan = plans.get_plan(session, actor, plan_id)
    if actor.is_department:
        raise NotFound(f"计划 {plan_id} 不存在")
    child = aliased(Measure)
    decomposed = select(child.id).where(child.parent_assignment_id == Assignment.id).exists()

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select(
            Office, func.count(), count(Assignment.signed_at.is_not(None)), count(decomposed),
            count(assignments.status_condition(assignments.DONE, today=today, due_soon_until=today)),
            count(assignments.status_condition(assignments.OVERDUE, today=today, due_soon_until=today)),
        )
        .select_from(Assignment)
        .join(Measure, Measure.id == Assignment.measure_id)
        .join(Department, Department.id == Assignment.department_id)
        .join(Office, Office.id == Department.represents_office_id)
        .where(Measure.plan_id == plan.id)
        .group_by(Office.id)
        .order_by(Office.id)
    ).all()
    return [Share(office, *(int(n or 0) for n in numbers)) for office, *numbers in rows]


def check_deadlines(session: Session, plan: Plan) -> None:
    """Before a child office's plan starts: each measure carrying out an issued item still keeps
    the parent's deadline, or says why not (the parent sees the reason)."""
    parents = {m.parent_assignment_id for m in plan.measures if m.parent_assignment_id is not None}
    if not parents:
        return
    due_by = dict(session.execute(
        select(Milestone.assignment_id, func.max(Milestone.due_date))
        .where(Milestone.assignment_id.in_(parents)).group_by(Milestone.assignment_id)
    ).all())
    late = plans.late_without_reason(plan, due_by)
    if late:
        raise Invalid(f"{len(late)} 条分解落实的措施完成时限晚于上级要求，请先在措施中填写理由（上级可见）再启动")
