"""Making a draft ready by hand: units for many measures at once, the plan's
phases, and the unit picker's names. A plan whose document names no units
(a 工作要点 without annotations) is made ready here, measure by measure or
task by task, instead of one edit form per measure.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.flows.contacts import without_contact
from service.departments.models import Department
from service.departments.service import normalize_name
from service.errors import Invalid, NotFound
from service.flows.importing import department_in_use
from service.plans.models import Phase, Plan
from service.plans.parser.checks import snippet
from service.pinyin import initials, pinyin_key
from service.plans.service import change_measure, get_editable_draft

# The separators people type between unit names: 、，, ；; and spaces.
_NAME_SEPARATORS = re.compile(r"[、，,；;\s]+")


class FieldInvalid(Invalid):
    """Bad input the form shows beside one of its fields."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str
    aliases: tuple[str, ...]
    initials: str

    @property
    def hint(self) -> str:
        """What the picker shows beside the name, and searches along with it."""
        return " · ".join([self.initials, *self.aliases])


def unit_choices(session: Session, office_id: int) -> list[UnitChoice]:
    """The office's confirmed units in pinyin order, as the picker offers them."""
    departments = session.scalars(
        select(Department).where(Department.office_id == office_id, Department.confirmed.is_(True))
    ).all()
    choices = [UnitChoice(d.id, d.name, tuple(d.aliases or ()), initials(d.name)) for d in departments]
    return sorted(choices, key=lambda c: (pinyin_key(c.name), c.name))


def plan_unit_choices(session: Session, plan: Plan) -> list[UnitChoice]:
    """What a draft's measures may be given: the confirmed units, and the names the
    document brought that still wait for the office's mapping."""
    pending = session.scalars(
        select(Department).where(
            Department.id.in_({a.department_id for m in plan.measures for a in m.assignments}),
            Department.confirmed.is_(False),
        )
    ).all()
    return unit_choices(session, plan.office_id) + [UnitChoice(d.id, d.name, (), initials(d.name)) for d in pending]


def resolve_units(choices: list[UnitChoice], typed: str, field: str) -> list[int]:
    """The ids of the units named in `typed` (names, aliases or pinyin initials,
    separated by 、 or ，), in the order typed; FieldInvalid names what matched no unit."""
    by_name = {c.name: c.id for c in choices}
    by_alias = {a: c.id for c in choices for a in c.aliases}
    by_initials: dict[str, list[UnitChoice]] = {}
    for c in choices:
        by_initials.setdefault(c.initials, []).append(c)
    ids, unknown, ambiguous = [], [], []
    for token in (t for t in _NAME_SEPARATORS.split(typed or "") if t):
        name = normalize_name(token)
        found = by_name.get(name) or by_alias.get(name)
        if found is None:
            same = by_initials.get(name.lower(), [])
            if len(same) == 1:
                found = same[0].id
            elif same:
                ambiguous.append(f"“{token}”可能是{'、'.join(c.name for c in same)}")
                continue
        if found is None:
            unknown.append(token)
        elif found not in ids:
            ids.append(found)
    if unknown:
        raise FieldInvalid(field, f"单位名录中没有：{'、'.join(unknown)}（请从列表中选择，或先在单位名录中添加）")
    if ambiguous:
        raise FieldInvalid(field, "；".join(ambiguous) + "，请写出单位全称")
    return ids


def assign_measures(
    session: Session,
    actor: Actor,
    plan_id: int,
    measure_ids: list[int],
    *,
    task_ids: list[int] = (),
    every: bool = False,
    lead: list[int],
    support: list[int],
    deadline: date | None,
    now: datetime,
) -> int:
    """Give the chosen measures (by id, all of the given tasks, or `every` one) the
    same lead and support units, replacing the ones they had, and the deadline when
    one is given. Each measure is changed and audited as its single edit would be;
    returns how many measures were changed."""
    plan = get_editable_draft(session, actor, plan_id)
    own_tasks = {t.id for t in plan.tasks}
    foreign_tasks = [i for i in task_ids if i not in own_tasks]
    if foreign_tasks:
        raise NotFound(f"计划 {plan_id} 中没有任务 {', '.join(map(str, foreign_tasks))}")
    own = {m.id for m in plan.measures}
    foreign = [i for i in measure_ids if i not in own]
    if foreign:
        raise NotFound(f"计划 {plan_id} 中没有措施 {', '.join(map(str, foreign))}")
    by_id, by_task = set(measure_ids), set(task_ids)
    chosen = [m for m in plan.measures if every or m.id in by_id or m.task_id in by_task]
    if not chosen:
        raise FieldInvalid("measures", "请先勾选要分配的措施（可逐条、按任务或全选）")
    if not lead:
        raise FieldInvalid("lead", "请至少填写一个牵头单位")
    values: dict = {"lead": lead, "support": support}
    if deadline is not None:
        values["deadline"] = deadline
    for measure in chosen:
        change_measure(session, actor, plan, measure, values, now=now)
    return len(chosen)


@dataclass(frozen=True)
class Notice:
    """Worth a look before activation, but no reason to refuse it; about one
    phase, measure or unit."""

    code: str
    message: str
    phase_id: int | None = None
    measure_id: int | None = None
    department_id: int | None = None


def readiness_notices(session: Session, plan: Plan, today: date) -> list[Notice]:
    """Deadlines already past (their milestones would start overdue) and units the office cannot reach."""
    notices = [
        Notice("past_deadline", f"阶段“{p.name}”的截止日期 {p.deadline} 已过，启动后即为逾期", phase_id=p.id)
        for p in plan.phases if p.deadline < today
    ]
    notices += [
        Notice("past_deadline", f"措施“{snippet(m.text, 20)}”的时限 {m.deadline} 已过，启动后即为逾期", measure_id=m.id)
        for m in plan.measures if m.deadline and m.deadline < today
    ]
    assigned = {a.department_id for m in plan.measures for a in m.assignments}
    departments = session.scalars(
        select(Department).where(Department.id.in_(assigned), Department.confirmed.is_(True)).order_by(Department.name)
    ).all()
    notices += [
        Notice("no_contact", f"单位“{d.name}”没有任何联系方式，启动后收不到通知，请在单位名录中补充", department_id=d.id)
        for d in without_contact(session, departments)
    ]
    return notices


def _phase_values(name: str, deadline: object) -> tuple[str, date]:
    name = (name or "").strip()
    if not name:
        raise FieldInvalid("name", "请填写阶段名称")
    if len(name) > 200:
        raise FieldInvalid("name", "阶段名称不能超过 200 个字")
    if isinstance(deadline, date):
        return name, deadline
    try:
        return name, date.fromisoformat(str(deadline or "").strip())
    except ValueError:
        raise FieldInvalid("deadline", "请填写阶段截止日期（年-月-日）") from None


def _renumber(plan: Plan) -> None:
    """Phases run in date order; the plan ends with its last phase."""
    ordered = sorted(plan.phases, key=lambda p: (p.deadline, p.id or 0))
    for position, phase in enumerate(ordered, start=1):
        phase.position = position
    plan.phases.sort(key=lambda p: p.position)
    plan.period_end = ordered[-1].deadline if ordered else None


def _phase_snapshot(phase: Phase) -> dict:
    """A phase's audit record, filed under its plan so that the plan's history shows it."""
    return {"phase_id": phase.id, "name": phase.name, "deadline": phase.deadline.isoformat()}


def add_phase(session: Session, actor: Actor, plan_id: int, name: str, deadline: object, *, now: datetime) -> Phase:
    plan = get_editable_draft(session, actor, plan_id)
    name, day = _phase_values(name, deadline)
    phase = Phase(position=len(plan.phases) + 1, name=name, deadline=day)
    plan.phases.append(phase)
    session.flush()
    _renumber(plan)
    session.flush()
    record(session, actor, "phase.create", "plan", plan.id, after=_phase_snapshot(phase), now=now)
    return phase


def _draft_phase(session: Session, actor: Actor, plan_id: int, phase_id: int) -> tuple[Plan, Phase]:
    plan = get_editable_draft(session, actor, plan_id)
    phase = next((p for p in plan.phases if p.id == phase_id), None)
    if phase is None:
        raise NotFound(f"计划 {plan_id} 中没有阶段 {phase_id}")
    return plan, phase


def update_phase(
    session: Session, actor: Actor, plan_id: int, phase_id: int, name: str, deadline: object, *, now: datetime
) -> Phase:
    plan, phase = _draft_phase(session, actor, plan_id, phase_id)
    before = _phase_snapshot(phase)
    phase.name, phase.deadline = _phase_values(name, deadline)
    _renumber(plan)
    session.flush()
    record(session, actor, "phase.update", "plan", plan.id, before=before, after=_phase_snapshot(phase), now=now)
    return phase


def delete_phase(session: Session, actor: Actor, plan_id: int, phase_id: int, *, now: datetime) -> None:
    """A draft has no milestones yet, so a phase can go without a trace but the audit's."""
    plan, phase = _draft_phase(session, actor, plan_id, phase_id)
    before = _phase_snapshot(phase)
    plan.phases.remove(phase)
    session.flush()
    _renumber(plan)
    session.flush()
    record(session, actor, "phase.delete", "plan", plan.id, before=before, now=now)


def delete_draft(session: Session, actor: Actor, plan_id: int, *, now: datetime) -> str:
    """A draft that will not be activated (a wrong document, a second import) goes,
    with the unit names it proposed that nothing else uses; returns its title."""
    plan = get_editable_draft(session, actor, plan_id)
    proposed = {a.department_id for m in plan.measures for a in m.assignments}
    before = {
        "title": plan.title, "doc_number": plan.doc_number, "measures": len(plan.measures),
        "phases": len(plan.phases), "source_hash": plan.source_hash,
    }
    session.delete(plan)
    session.flush()
    dropped = []
    for department in session.scalars(
        select(Department).where(Department.id.in_(proposed), Department.confirmed.is_(False))
    ).all():
        if not department_in_use(session, department.id):
            dropped.append(department.name)
            session.delete(department)
    session.flush()
    record(
        session, actor, "plan.delete", "plan", plan_id, before=before, after={"proposed_units_dropped": dropped}, now=now
    )
    return before["title"]
