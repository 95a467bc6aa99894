"""必做/选做 down the chain: a parent plan's optional tasks, offered on activation to the child
offices its groups stand for, are issued to a child office when its admins take them (选做申报,
by the plan's choice deadline); afterwards a change waits for the parent's approval."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, selectinload

from service.audit.service import record
from service.auth.actor import Actor
from service.database import lock_for_change
from service.delivery.models import AUDIENCE_OFFICE
from service.delivery.service import channels_for, enqueue
from service.departments.models import Department, DepartmentGroupMember
from service.errors import Conflict, Invalid, NotFound
from service.messages import render
from service.milestones import events
from service.milestones import service as milestones
from service.milestones.models import Milestone, ProgressReport, Report
from service.offices.models import Office
from service.plans import service as plans
from service.plans.models import (
    CHANGE_ADD,
    CHANGE_DROP,
    PLAN_ACTIVE,
    Assignment,
    Measure,
    MeasureOffer,
    Plan,
    Task,
    TaskChoice,
)
from service.workdays import WorkdayCalendar


def _with_offered_units(query):
    """Join each offer to the units standing for child offices it reaches: a group's members, or
    the unit the measure was given to directly (it has no members)."""
    return (
        query.outerjoin(DepartmentGroupMember, DepartmentGroupMember.group_id == MeasureOffer.group_id)
        .join(Department, Department.id == func.coalesce(DepartmentGroupMember.member_id, MeasureOffer.group_id))
    )


def _offers(office_id: int | None = None):
    """(offer, the unit standing for a child office) pairs: what each child office is offered."""
    query = (
        _with_offered_units(select(MeasureOffer, Department))
        .join(Measure, Measure.id == MeasureOffer.measure_id)
        .where(Department.represents_office_id.is_not(None))
        .order_by(Measure.plan_id, Measure.position, MeasureOffer.id)
    )
    return query if office_id is None else query.where(Department.represents_office_id == office_id)


@dataclass(frozen=True)
class Offered:
    """One optional task of a parent plan as the child office choosing it sees it."""

    plan: Plan
    parent: Office
    task: Task
    measures: list[Measure]
    choice: TaskChoice | None

    @property
    def taken(self) -> bool:
        return self.choice is not None and self.choice.taken


def offered_to_office(session: Session, actor: Actor) -> list[Offered]:
    """The optional tasks the parent offices' active plans offer to the actor's office."""
    actor.require_admin()
    measures: dict[int, list[Measure]] = {}
    for measure in session.scalars(
        _offers(actor.office_id).with_only_columns(Measure).join(Plan, Plan.id == Measure.plan_id)
        .where(Plan.status == PLAN_ACTIVE).distinct()
        .order_by(None).order_by(Measure.plan_id, Measure.position)  # DISTINCT orders by selected columns only
    ):
        measures.setdefault(measure.task_id, []).append(measure)
    if not measures:
        return []
    choices = {c.task_id: c for c in session.scalars(
        select(TaskChoice).where(TaskChoice.office_id == actor.office_id, TaskChoice.task_id.in_(measures))
    )}
    tasks = session.scalars(select(Task).where(Task.id.in_(measures)).options(selectinload(Task.plan))
                            .order_by(Task.plan_id, Task.position)).all()
    parents = {o.id: o for o in session.scalars(select(Office).where(Office.id.in_({t.plan.office_id for t in tasks})))}
    return [Offered(t.plan, parents[t.plan.office_id], t, measures[t.id], choices.get(t.id)) for t in tasks]


def _units_offered(session: Session, task_id: int, office_id: int) -> list[tuple[MeasureOffer, Department]]:
    return [(o, u) for o, u in session.execute(_offers(office_id).where(Measure.task_id == task_id))]


def choose(
    session: Session, actor: Actor, task_id: int, *, take: bool, reason: str | None, today: date, now: datetime,
    calendar: WorkdayCalendar, support_lead_workdays: int,
) -> TaskChoice:
    """The child office takes (or drops) an optional task: by the plan's choice deadline it is
    issued (or withdrawn) at once; after it, the change is a request the parent decides."""
    actor.require_admin()
    offered = _units_offered(session, task_id, actor.office_id)
    if not offered:
        raise NotFound(f"选做任务 {task_id} 不存在")
    task = lock_for_change(session, Task, task_id)
    if task.plan.status != PLAN_ACTIVE:
        raise Conflict("该计划不在推进中，不能选择选做任务")
    choice = session.scalars(
        select(TaskChoice).where(TaskChoice.task_id == task_id, TaskChoice.office_id == actor.office_id)
    ).first()
    if choice is None:
        choice = TaskChoice(task_id=task_id, office_id=actor.office_id, taken=False, updated_at=now)
        session.add(choice)
        session.flush()
    choice = lock_for_change(session, TaskChoice, choice.id)
    if choice.request is not None:
        raise Conflict("该任务已有待上级审批的变更申请，请等待上级审批")
    if choice.taken == take:
        return choice
    if not take:
        _refuse_dropping_reported(session, offered)
    before = {"taken": choice.taken}
    if today <= task.plan.choice_deadline:
        _apply(session, task.plan, offered, take=take, now=now, calendar=calendar,
               support_lead_workdays=support_lead_workdays)
        choice.taken, choice.refusal = take, None
        action, after = "task_choice.choose", {"taken": take}
    else:
        if not (reason and reason.strip()):
            raise Invalid("选做申报已截止，变更须说明理由，由上级办公室审批")
        choice.request, choice.request_reason = (CHANGE_ADD if take else CHANGE_DROP), reason.strip()
        action, after = "task_choice.request", {"request": choice.request, "reason": choice.request_reason}
        _tell_parent(session, choice, task, now=now)
    choice.updated_at = now
    record(session, actor, action, "task_choice", choice.id, before=before, after=after, now=now)
    return choice


KIND_CHOICE_REQUEST = "choice_request"


def _tell_parent(session: Session, choice: TaskChoice, task: Task, *, now: datetime) -> None:
    """A late change waits on the parent office: its admins hear of it on their office's own
    channels (the audience "office"), as they hear of a notification that failed."""
    office = session.get(Office, choice.office_id)
    rendered = render(KIND_CHOICE_REQUEST, {
        "office_name": office.name, "request_label": "增选" if choice.request == CHANGE_ADD else "退选",
        "plan_title": task.plan.title, "task_label": f"{task.number}. {task.title}", "reason": choice.request_reason,
    })
    event = {"type": KIND_CHOICE_REQUEST, "choice_id": choice.id, "plan_id": task.plan_id, "task_id": task.id,
             "office_id": office.id, "request": choice.request}
    for channel in channels_for(session, task.plan.office_id, audience=AUDIENCE_OFFICE):
        enqueue(session, office_id=task.plan.office_id, department_id=None, channel_id=channel.id,
                channel_type=channel.type, target=channel.target, kind=KIND_CHOICE_REQUEST, level=None,
                subject=rendered.subject, body_text=rendered.text, body_markdown=rendered.markdown,
                body_html=rendered.html, event=event, mentions=list(channel.mentions or []), now=now)


def pending_requests(session: Session, plan_id: int) -> int:
    """The child offices' late changes of the plan's optional tasks still waiting on the parent."""
    return session.scalar(
        select(func.count()).select_from(TaskChoice).join(Task, Task.id == TaskChoice.task_id)
        .where(Task.plan_id == plan_id, TaskChoice.request.is_not(None))
    ) or 0


def _parents_choice(session: Session, actor: Actor, choice_id: int) -> TaskChoice:
    """A child office's choice on a plan the actor's office (or one above it) reads."""
    found = session.get(TaskChoice, choice_id)
    if found is None or found.task.plan.office_id not in actor.readable_office_ids or actor.is_department:
        raise NotFound(f"选做变更申请 {choice_id} 不存在")
    return found


def plan_of_choice(session: Session, actor: Actor, choice_id: int) -> int:
    return _parents_choice(session, actor, choice_id).task.plan_id


def decide(
    session: Session, actor: Actor, choice_id: int, *, approve: bool, reason: str | None, now: datetime,
    calendar: WorkdayCalendar, support_lead_workdays: int,
) -> TaskChoice:
    """The parent office approves or refuses (with a reason) a child's late change of choice."""
    actor.require_admin_of(_parents_choice(session, actor, choice_id).task.plan.office_id)
    choice = lock_for_change(session, TaskChoice, choice_id)
    if choice.request is None:
        raise Conflict("该任务没有待审批的变更申请")
    take = choice.request == CHANGE_ADD
    before = {"taken": choice.taken, "request": choice.request}
    if approve:
        offered = _units_offered(session, choice.task_id, choice.office_id)
        if not take:
            _refuse_dropping_reported(session, offered)
        _apply(session, choice.task.plan, offered, take=take, now=now, calendar=calendar,
               support_lead_workdays=support_lead_workdays)
        choice.taken, choice.refusal = take, None
    else:
        if not (reason and reason.strip()):
            raise Invalid("不同意变更须说明理由")
        choice.refusal = reason.strip()
    choice.request = choice.request_reason = None
    choice.updated_at = now
    record(session, actor, "task_choice.approve" if approve else "task_choice.refuse", "task_choice", choice.id,
           before=before, after={"taken": choice.taken, "refusal": choice.refusal}, now=now)
    return choice


def _issued_items(session: Session, offered: list[tuple[MeasureOffer, Department]]) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(
        Assignment.measure_id.in_({o.measure_id for o, _ in offered}),
        Assignment.department_id.in_({u.id for _, u in offered}),
    )))


def _refuse_dropping_reported(session: Session, offered: list[tuple[MeasureOffer, Department]]) -> None:
    ids = [a.id for a in _issued_items(session, offered)]
    reported = session.scalar(select(
        exists().where(ProgressReport.assignment_id.in_(ids))
        | exists().where(Report.milestone_id == Milestone.id, Milestone.assignment_id.in_(ids))
    ))
    if reported:
        raise Invalid("该任务的督办件已有进展报送，不能退选")


def _apply(
    session: Session, plan: Plan, offered: list[tuple[MeasureOffer, Department]], *, take: bool, now: datetime,
    calendar: WorkdayCalendar, support_lead_workdays: int,
) -> None:
    """Issue the task's offered measures to the office's unit (its group's role, the plan's
    phases or the measure's deadline), as activation issues a mandatory one; or withdraw them."""
    existing = _issued_items(session, offered)
    if not take:
        ids = [a.id for a in existing]
        session.execute(delete(Milestone).where(Milestone.assignment_id.in_(ids)))
        session.execute(delete(Assignment).where(Assignment.id.in_(ids)))
        session.expire_all()
        return
    have = {(a.measure_id, a.department_id) for a in existing}
    created = []
    for offer, unit in offered:
        if (offer.measure_id, unit.id) in have:
            continue
        have.add((offer.measure_id, unit.id))
        assignment = Assignment(measure_id=offer.measure_id, department_id=unit.id, role=offer.role)
        session.add(assignment)
        session.flush()
        milestones.create_for_assignment(session, plan, assignment, calendar=calendar,
                                         support_lead_workdays=support_lead_workdays, now=now)
        created.append(assignment.id)
    session.flush()
    events.milestones_issued(
        session, session.scalars(select(Milestone.id).where(Milestone.assignment_id.in_(created))).all(), now=now
    )


@dataclass(frozen=True)
class ChoiceRow:
    """For the parent: one child office and one optional task, taken or not, and any request."""

    office: Office
    task: Task
    choice: TaskChoice | None


def plan_choices(session: Session, actor: Actor, plan_id: int) -> list[ChoiceRow]:
    """Who chose what: a row per child office offered the plan's optional tasks and per task."""
    plan = plans.get_plan(session, actor, plan_id)
    if actor.is_department:
        raise NotFound(f"计划 {plan_id} 不存在")
    pairs = session.execute(
        _with_offered_units(select(Office, Task).distinct().select_from(MeasureOffer))
        .join(Measure, Measure.id == MeasureOffer.measure_id)
        .join(Task, Task.id == Measure.task_id)
        .join(Office, Office.id == Department.represents_office_id)
        .where(Measure.plan_id == plan.id)
        .order_by(Office.id, Task.position)
    ).all()
    choices = {(c.office_id, c.task_id): c for c in session.scalars(
        select(TaskChoice).join(Task, Task.id == TaskChoice.task_id).where(Task.plan_id == plan.id)
    )}
    return [ChoiceRow(office, task, choices.get((office.id, task.id))) for office, task in pairs]
