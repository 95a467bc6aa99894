"""Issue 13's seed 000 scenario: the national office issues the 2015 demonstration-city plan to
three cities; the first 4 tasks (必做) go to every city, the last 5 (选做) are offered; each city
takes what it chooses by the 选做申报 date, and after it a change waits for the national office."""

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from service.assessment import service as assessment
from service.assessment.models import AssessmentScore
from service.audit.models import AuditEvent
from service.departments import service as directory
from service.departments.models import KIND_GROUP, Department
from service.errors import Conflict, Invalid, NotFound
from service.flows import cascade, choices, drafting
from service.flows.activation import activate_plan, activation_summary
from service.flows.importing import import_plan
from service.milestones import assignments
from service.milestones import service as workflow
from service.milestones.models import EVENT_ASSIGNMENT, Milestone, WorkflowEvent
from service.plans import service as plans
from service.plans.models import Assignment, Measure, MeasureOffer, TaskChoice
from service.workdays import WorkdayCalendar
from tests.cascade.conftest import office_with_children
from tests.factories import World

SEED = Path(__file__).resolve().parents[1] / "data" / "seeds" / "000_4b9b504e9509dbe6.txt"
TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()
CITIES = {"suzhou": "苏州市", "changsha": "长沙市", "chengdu": "成都市"}
# "工作计划中所述的9项任务,前4项任务为必做工作……后5项任务为选做工作"
MANDATORY, OPTIONAL = ["1", "2", "3", "4"], ["5", "6", "7", "8", "9"]
CHOICE_DEADLINE = date(2015, 6, 30)


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), TZ)


T0 = at(date(2015, 5, 4))


def _nation_and_cities(session) -> World:
    world = office_with_children(session, "nation", "国家知识产权局示范城市工作办公室", CITIES, T0)
    session.commit()
    return world


def issued_plan(session, world: World):
    """The seed imported by the national office, every measure assigned to 各示范城市 (the
    plan names no units), one yearly phase; the plan started with a 选做申报 date."""
    nation = world.actor(session, "nation_admin")
    plan = import_plan(session, nation, text=SEED.read_text(encoding="utf-8"), now=T0).plan
    assert [t.number for t in plan.tasks] == MANDATORY + OPTIONAL
    assert [t.mandatory for t in plan.tasks] == [True] * 4 + [False] * 5
    group = Department(office_id=nation.office_id, name="各示范城市", kind=KIND_GROUP, confirmed=True, created_at=T0)
    session.add(group)
    session.flush()
    directory.set_child_offices(session, nation, group.id, [world.offices[k].id for k in CITIES], now=T0)
    drafting.assign_measures(session, nation, plan.id, [], every=True, lead=[group.id], support=[], deadline=None, now=T0)
    drafting.add_phase(session, nation, plan.id, "2015年度", "2015-12-31", now=T0)
    session.commit()
    with pytest.raises(Invalid, match="选做申报截止日期"):
        activate_plan(session, nation, plan.id, now=T0, calendar=CALENDAR, support_lead_workdays=5)
    session.rollback()
    plans.set_choice_deadline(session, nation, plan.id, CHOICE_DEADLINE, now=T0)
    summary = activation_summary(session, nation, plan.id)  # what the confirmation says starting creates
    activate_plan(session, nation, plan.id, now=T0, calendar=CALENDAR, support_lead_workdays=5)
    session.commit()
    assert (summary.items, summary.units) == (4 * 3 * 3, 3)  # 4 必做 tasks × 3 measures × 3 cities
    assert summary.milestones == session.scalar(select(func.count()).where(Milestone.plan_id == plan.id))
    return plan, group


def task_ids(plan) -> dict[str, int]:
    return {t.number: t.id for t in plan.tasks}


def issued_tasks(session, actor) -> set[str]:
    return {i.item.assignment.measure.task.number for i in cascade.issued_to_office(session, actor, today=T0.date())}


def test_mandatory_tasks_go_to_every_city_and_the_optional_ones_to_the_cities_that_choose_them(session):
    world = _nation_and_cities(session)
    plan, group = issued_plan(session, world)
    nation = world.actor(session, "nation_admin")
    city = {k: world.actor(session, f"{k}_admin") for k in CITIES}
    tasks = task_ids(plan)

    def choose(key: str, number: str, take: bool, day: date, reason: str | None = None) -> TaskChoice:
        chosen = choices.choose(session, city[key], tasks[number], take=take, reason=reason, today=day, now=at(day),
                                calendar=CALENDAR, support_lead_workdays=5)
        session.commit()
        return chosen

    # 必做: every measure of tasks 1–4 issued to each city; 选做: offered, issued to none yet.
    units = {u.represents_office_id: u for u in session.scalars(
        select(Department).where(Department.office_id == plan.office_id, Department.represents_office_id.is_not(None)))}
    by_task = {number: session.scalars(select(Measure.id).where(Measure.task_id == tasks[number])).all()
               for number in tasks}
    for number in MANDATORY:
        for measure_id in by_task[number]:
            assert set(session.scalars(select(Assignment.department_id).where(Assignment.measure_id == measure_id))) \
                == {units[world.offices[k].id].id for k in CITIES}
    for number in OPTIONAL:
        assert session.scalar(select(func.count()).select_from(Assignment)
                              .where(Assignment.measure_id.in_(by_task[number]))) == 0
    assert session.scalar(select(func.count()).select_from(MeasureOffer)) == 5 * 3
    for key in CITIES:
        assert issued_tasks(session, city[key]) == set(MANDATORY)
        offered = choices.offered_to_office(session, city[key])
        assert [o.task.number for o in offered] == OPTIONAL and not any(o.taken for o in offered)
        assert {o.parent.name for o in offered} == {"国家知识产权局示范城市工作办公室"}

    # By the date: 苏州 takes 5 and 6, then drops 6; 长沙 takes 7; 成都 takes none.
    choose("suzhou", "5", True, date(2015, 6, 1))
    choose("suzhou", "6", True, date(2015, 6, 1))
    assert issued_tasks(session, city["suzhou"]) == set(MANDATORY) | {"5", "6"}
    choose("suzhou", "6", False, CHOICE_DEADLINE)
    choose("changsha", "7", True, CHOICE_DEADLINE)
    assert issued_tasks(session, city["suzhou"]) == set(MANDATORY) | {"5"}
    assert issued_tasks(session, city["changsha"]) == set(MANDATORY) | {"7"}
    assert issued_tasks(session, city["chengdu"]) == set(MANDATORY)
    # A chosen task's measures: one 督办件 each for the city's unit, the group's role, the plan's phase
    # or the measure's own deadline (task 5's 工作要求 says 2015年底之前).
    taken = session.scalars(select(Assignment).join(Measure, Measure.id == Assignment.measure_id)
                            .where(Measure.task_id == tasks["5"])).all()
    assert len(taken) == 3 and {(a.department_id, a.role) for a in taken} == {(units[world.offices["suzhou"].id].id, "lead")}
    checkpoints = session.scalars(select(Milestone).where(Milestone.assignment_id.in_([a.id for a in taken]))).all()
    assert [m.due_date for m in checkpoints] == [date(2015, 12, 31)] * 3
    # Their ladders start and the 交办通知 is queued, as at activation.
    assert {m.next_reminder_at for m in checkpoints} == {at(date(2015, 6, 1))}
    assert session.scalar(select(func.count()).select_from(WorkflowEvent).where(
        WorkflowEvent.milestone_id.in_([m.id for m in checkpoints]), WorkflowEvent.kind == EVENT_ASSIGNMENT)) == 3

    # 苏州 reports on task 5: it can no longer drop it, before or after the date.
    item = next(i for i in cascade.issued_to_office(session, city["suzhou"], today=T0.date())
                if i.item.assignment.measure.task_id == tasks["5"])
    assignments.submit_progress(session, city["suzhou"], item.item.assignment.id, text="已开展专利导航。", percent=30,
                                now=at(date(2015, 6, 10)))
    session.commit()
    with pytest.raises(Invalid, match="已有进展报送"):
        choose("suzhou", "5", False, date(2015, 6, 20))
    session.rollback()
    with pytest.raises(Invalid, match="已有进展报送"):
        choose("suzhou", "5", False, date(2015, 7, 10), reason="力量不足")
    session.rollback()

    # After the date: 成都 asks to take task 8 — a request, issued only once the nation approves.
    late = date(2015, 7, 10)
    with pytest.raises(Invalid, match="说明理由"):
        choose("chengdu", "8", True, late)
    session.rollback()
    request = choose("chengdu", "8", True, late, reason="市财政已安排专项经费")
    assert (request.taken, request.request) == (False, "add")
    assert issued_tasks(session, city["chengdu"]) == set(MANDATORY)
    with pytest.raises(Conflict):
        choose("chengdu", "8", True, late, reason="再次申请")
    session.rollback()

    def decide(actor, approve: bool, reason: str | None = None) -> TaskChoice:
        decided = choices.decide(session, actor, request.id, approve=approve, reason=reason, now=at(late),
                                 calendar=CALENDAR, support_lead_workdays=5)
        session.commit()
        return decided

    for other in ("chengdu", "suzhou"):  # only the parent decides: the cities do not even see the request
        with pytest.raises(NotFound):
            decide(city[other], True)
        session.rollback()
    with pytest.raises(Invalid, match="说明理由"):
        decide(nation, False)
    session.rollback()
    refused = decide(nation, False, "请先完成必做任务")
    assert (refused.taken, refused.request, refused.refusal) == (False, None, "请先完成必做任务")
    assert issued_tasks(session, city["chengdu"]) == set(MANDATORY)
    choose("chengdu", "8", True, late, reason="必做任务已按期推进")
    approved = decide(nation, True)
    assert (approved.taken, approved.request, approved.refusal) == (True, None, None)
    assert issued_tasks(session, city["chengdu"]) == set(MANDATORY) | {"8"}
    with pytest.raises(Conflict):
        decide(nation, True)
    session.rollback()

    # The nation's view: each city's choices.
    rows = choices.plan_choices(session, nation, plan.id)
    assert len(rows) == 3 * 5
    chosen = {(r.office.id, r.task.number) for r in rows if r.choice and r.choice.taken}
    assert chosen == {(world.offices["suzhou"].id, "5"), (world.offices["changsha"].id, "7"),
                      (world.offices["chengdu"].id, "8")}
    # Every choice, request and decision is in the audit log.
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "task_choice")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["task_choice.choose"] * 4 + ["task_choice.request", "task_choice.refuse",
                                                    "task_choice.request", "task_choice.approve"]


def test_the_national_assessment_scores_each_city_as_its_unit_on_its_mandatory_items(session):
    world = _nation_and_cities(session)
    plan, _ = issued_plan(session, world)
    nation = world.actor(session, "nation_admin")
    suzhou, changsha = world.actor(session, "suzhou_admin"), world.actor(session, "changsha_admin")
    choices.choose(session, changsha, task_ids(plan)["7"], take=True, reason=None, today=date(2015, 6, 1),
                   now=at(date(2015, 6, 1)), calendar=CALENDAR, support_lead_workdays=5)
    # 苏州 closes every 必做 checkpoint before the year's end; 长沙 none (its 选做 task 7 is not 必做).
    done = at(date(2015, 12, 20))
    for issued in cascade.issued_to_office(session, suzhou, today=done.date()):
        for m in issued.item.milestones:
            workflow.submit_report(session, suzhou, m.id, text="已完成。", percent=100, now=done)
            workflow.review(session, nation, m.id, decision="approve", comment=None, now=done)
    session.commit()
    scheme = assessment.create_scheme(session, nation, {
        "name": "2015年度示范城市考核", "year": 2015, "plan_id": plan.id, "total": "100",
        "items": [{"kind": "mandatory", "weight": "60", "params": {}}, {"kind": "checkpoints", "weight": "40", "params": {}}],
    }, now=at(date(2016, 1, 4)))
    result = assessment.compute_result(session, nation, scheme.id, start="2015-01-01", end="2015-12-31",
                                       today=date(2016, 1, 5), calendar=CALENDAR, tz=TZ, now=at(date(2016, 1, 5)))
    session.commit()
    units = {u.represents_office_id: u.id for u in session.scalars(
        select(Department).where(Department.office_id == plan.office_id, Department.represents_office_id.is_not(None)))}
    scores = {s.department_id: {line["key"]: line for line in s.lines} for s in session.scalars(
        select(AssessmentScore).where(AssessmentScore.result_id == result.id))}
    assert set(scores) == set(units.values())  # each city scored, as the unit standing for it
    mine, theirs = scores[units[world.offices["suzhou"].id]], scores[units[world.offices["changsha"].id]]
    assert (mine["mandatory"]["points"], mine["mandatory"]["summary"]) == ("60.00", "必做任务到期节点12个，已办结12个")
    assert (theirs["mandatory"]["points"], theirs["mandatory"]["summary"]) == ("0.00", "必做任务到期节点12个，已办结0个")
    assert theirs["checkpoints"]["points"] == "0.00"
