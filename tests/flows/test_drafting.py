"""Making a draft without annotations ready: units for many measures at once,
phases, the unit picker's names, and what still blocks activation."""

from datetime import date

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.departments.models import Department
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.flows.drafting import (
    FieldInvalid,
    add_phase,
    assign_measures,
    delete_phase,
    plan_unit_choices,
    resolve_units,
    update_phase,
)
from service.flows.importing import import_plan
from service.pinyin import initials
from service.flows.activation import activate_plan
from service.plans.service import activation_blockers, get_plan
from service.workdays import WorkdayCalendar
from tests.factories import NOW

BARE = """测试工作要点
一、重点任务
1.推进甲工作。完善甲机制。
2.推进乙工作。完善乙机制。
3.推进丙工作。完善丙机制。
"""


def _draft(session, world):
    admin = world.actor(session, "city_admin")
    return admin, import_plan(session, admin, text=BARE, now=NOW).plan


def _ids(world, *keys):
    return [world.departments[k].id for k in keys]


def test_initials_and_names_find_units(session, world):
    admin, plan = _draft(session, world)
    session.get(Department, world.departments["dev"].id).aliases = ["发改委"]
    session.flush()
    choices = plan_unit_choices(session, plan)
    assert initials("市发展改革委") == "sfzggw"
    assert resolve_units(choices, "市知识产权局、发改委，SFZGGW", "lead") == _ids(world, "ip", "dev")
    with pytest.raises(FieldInvalid, match="单位名录中没有：市教育局") as refused:
        resolve_units(choices, "市知识产权局、市教育局", "support")
    assert refused.value.field == "support"
    # Another office's unit is not offered.
    assert "深圳市市场监管局" not in {c.name for c in choices}


def test_two_units_with_the_same_initials_must_be_written_out(session, world):
    admin, plan = _draft(session, world)
    session.get(Department, world.departments["ip"].id).name = "市质监局"  # szjj
    session.add(Department(office_id=plan.office_id, name="市住建局", created_at=NOW))
    session.flush()
    with pytest.raises(FieldInvalid, match="可能是.*市质监局.*市住建局|可能是.*市住建局.*市质监局"):
        resolve_units(plan_unit_choices(session, plan), "szjj", "lead")


def test_bulk_assignment_by_task_changes_each_measure_as_its_own_edit(session, world):
    admin, plan = _draft(session, world)
    first_task = plan.tasks[0]
    changed = assign_measures(
        session, admin, plan.id, [], task_ids=[first_task.id],
        lead=_ids(world, "ip"), support=_ids(world, "dev"), deadline=date(2027, 6, 30), now=NOW,
    )
    assert changed == 1
    for measure in plan.measures:
        roles = {(a.department_id, a.role) for a in measure.assignments}
        if measure.task_id == first_task.id:
            assert roles == {(world.departments["ip"].id, "lead"), (world.departments["dev"].id, "support")}
            assert measure.deadline == date(2027, 6, 30)
        else:
            assert roles == set() and measure.deadline is None
    audited = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "measure.update")).all()
    assert sorted(audited) == sorted(m.id for m in plan.measures if m.task_id == first_task.id)

    # All measures: the lead replaces what they had, the deadline stays when none is given.
    assert assign_measures(session, admin, plan.id, [], every=True, lead=_ids(world, "dev"), support=[], deadline=None, now=NOW) == 3
    assert all([(a.department_id, a.role) for a in m.assignments] == [(world.departments["dev"].id, "lead")] for m in plan.measures)
    assert plan.measures[0].deadline == date(2027, 6, 30)


def test_bulk_assignment_refuses_what_a_single_edit_refuses(session, world):
    admin, plan = _draft(session, world)
    one = [plan.measures[0].id]
    with pytest.raises(FieldInvalid, match="请先勾选") as nothing:
        assign_measures(session, admin, plan.id, [], lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)
    assert nothing.value.field == "measures"
    with pytest.raises(FieldInvalid, match="牵头单位"):
        assign_measures(session, admin, plan.id, one, lead=[], support=[], deadline=None, now=NOW)
    with pytest.raises(Invalid, match="不是本办公室的单位"):
        assign_measures(session, admin, plan.id, one, lead=_ids(world, "sz_ip"), support=[], deadline=None, now=NOW)
    with pytest.raises(NotFound):
        assign_measures(session, admin, plan.id, [world.plans["city"]], lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)
    with pytest.raises(Forbidden):
        assign_measures(session, world.actor(session, "ip_user"), plan.id, one, lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)
    with pytest.raises(NotFound):
        assign_measures(session, world.actor(session, "other_admin"), plan.id, one, lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)
    active = get_plan(session, admin, world.plans["city"])
    with pytest.raises(Conflict):
        assign_measures(session, admin, active.id, [active.measures[0].id], lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)


def test_phases_are_kept_in_date_order_and_end_the_plan(session, world):
    admin, plan = _draft(session, world)
    late = add_phase(session, admin, plan.id, "总结阶段", "2027-12-31", now=NOW)
    early = add_phase(session, admin, plan.id, "实施阶段", date(2027, 6, 30), now=NOW)
    assert [(p.name, p.position) for p in plan.phases] == [("实施阶段", 1), ("总结阶段", 2)]
    assert plan.period_end == date(2027, 12, 31)
    update_phase(session, admin, plan.id, early.id, "攻坚阶段", "2028-03-31", now=NOW)
    assert [p.name for p in plan.phases] == ["总结阶段", "攻坚阶段"] and plan.period_end == date(2028, 3, 31)
    delete_phase(session, admin, plan.id, early.id, now=NOW)
    assert [p.name for p in plan.phases] == ["总结阶段"] and plan.period_end == late.deadline
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("phase."))).all()
    assert [(e.action, e.entity_type, e.entity_id) for e in events] == [
        ("phase.create", "plan", plan.id), ("phase.create", "plan", plan.id),
        ("phase.update", "plan", plan.id), ("phase.delete", "plan", plan.id),
    ]
    assert events[2].before == {"phase_id": early.id, "name": "实施阶段", "deadline": "2027-06-30"}

    with pytest.raises(FieldInvalid, match="阶段名称") as unnamed:
        add_phase(session, admin, plan.id, " ", "2027-12-31", now=NOW)
    assert unnamed.value.field == "name"
    with pytest.raises(FieldInvalid, match="截止日期") as undated:
        update_phase(session, admin, plan.id, late.id, "总结阶段", "明年", now=NOW)
    assert undated.value.field == "deadline"
    with pytest.raises(Forbidden):
        add_phase(session, world.actor(session, "ip_user"), plan.id, "实施阶段", "2027-06-30", now=NOW)
    with pytest.raises(NotFound):
        delete_phase(session, world.actor(session, "other_admin"), plan.id, late.id, now=NOW)


def test_a_plan_without_units_or_phases_is_blocked_until_both_are_given(session, world):
    admin, plan = _draft(session, world)
    calendar = WorkdayCalendar()
    blockers = activation_blockers(session, plan)
    assert [b.anchor for b in blockers] == ["phases", f"measure-{plan.measures[0].id}"]
    assert blockers[-1].message == "3 条措施没有牵头单位"
    assert blockers[-1].measure_ids == tuple(m.id for m in plan.measures)
    with pytest.raises(Invalid, match="没有推进阶段"):
        activate_plan(session, admin, plan.id, now=NOW, calendar=calendar, support_lead_workdays=5)
    add_phase(session, admin, plan.id, "实施阶段", "2027-06-30", now=NOW)
    with pytest.raises(Invalid, match="没有牵头单位"):
        activate_plan(session, admin, plan.id, now=NOW, calendar=calendar, support_lead_workdays=5)
    assign_measures(session, admin, plan.id, [plan.measures[0].id], lead=_ids(world, "ip"), support=[], deadline=None, now=NOW)
    assert activation_blockers(session, plan)[0].measure_ids == tuple(m.id for m in plan.measures[1:])
    assign_measures(session, admin, plan.id, [], every=True, lead=_ids(world, "ip"), support=_ids(world, "dev"), deadline=None, now=NOW)
    assert activation_blockers(session, plan) == []
    assert activate_plan(session, admin, plan.id, now=NOW, calendar=calendar, support_lead_workdays=5) == 6
