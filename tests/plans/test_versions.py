"""Plans' versions (migration 0023's triggers, service.plans.versions): every flow that
changes a plan or anything in it (its milestones, items, progress reports, extension
requests, measures, phases) moves the plan's version, and nothing else's; the reminder
scan's bookkeeping does not; folding the counts keeps them; on PostgreSQL two writers never
wait on each other's count."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.auth.actor import Actor
from service.milestones import assignments
from service.milestones import service as workflow
from service.milestones.models import APPROVED, Milestone
from service.plans import versions
from service.plans.models import Assignment, Measure, Phase, Plan, PlanChange
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world, milestones_of, simple_plan


def _submit(session, world, m):
    workflow.submit_report(session, world.actor(session, "ip_user"), m.id, text="完成", percent=100, now=NOW)


def _approve(session, world, m):
    _submit(session, world, m)
    session.flush()
    workflow.review(session, world.actor(session, "city_admin"), m.id, decision="approve", comment=None, now=NOW,
                    confirm_below_100=True)


def _reopen(session, world, m):
    session.execute(update(Milestone).where(Milestone.id == m.id).values(state=APPROVED, approved_at=NOW))
    session.commit()
    before = versions.version(session, [world.plans["city"]])
    workflow.reopen(session, world.actor(session, "city_admin"), m.id, comment="重新办理", now=NOW)
    return before


def _extension(session, world, m):
    request = workflow.request_extension(session, world.actor(session, "ip_user"), m.id,
                                         new_due_date=m.due_date + timedelta(days=30), reason="需要时间", now=NOW)
    session.commit()
    before = versions.version(session, [world.plans["city"]])
    workflow.decide_extension(session, world.actor(session, "city_admin"), request.id, approve=True, comment=None, now=NOW)
    return before


def _request_extension(session, world, m):
    workflow.request_extension(session, world.actor(session, "ip_user"), m.id,
                               new_due_date=m.due_date + timedelta(days=30), reason="需要时间", now=NOW)


def _progress_report(session, world, m):
    assignments.submit_progress(session, world.actor(session, "ip_user"), m.assignment_id, text="推进中", percent=40,
                                now=NOW)


def _sign(session, world, m):
    assignments.sign_batch(session, world.actor(session, "ip_user"), plan_id=world.plans["city"], now=NOW)


def _core_state(session, world, m):
    session.execute(update(Milestone).where(Milestone.id == m.id).values(state=APPROVED, approved_at=NOW))


def _core_due_date(session, world, m):
    session.execute(update(Milestone).where(Milestone.id == m.id).values(due_date=m.due_date + timedelta(days=1)))


def _raw_sql(session, world, m):
    session.execute(text("UPDATE milestones SET state = 'submitted' WHERE id = :id"), {"id": m.id})


def _delete_milestone(session, world, m):
    session.execute(delete(Milestone).where(Milestone.id == m.id))


def _new_milestone(session, world, m):
    assert m.phase_id is not None  # so the new one (no phase) leaves the unique key alone
    session.add(Milestone(assignment_id=m.assignment_id, phase_id=None, plan_id=m.plan_id,
                          department_id=m.department_id, due_date=m.due_date, created_at=NOW, updated_at=NOW))


def _assignment_signed(session, world, m):
    session.execute(update(Assignment).where(Assignment.id == m.assignment_id).values(signed_at=NOW))


def _measure_text(session, world, m):
    measure_id = session.scalar(select(Assignment.measure_id).where(Assignment.id == m.assignment_id))
    session.execute(update(Measure).where(Measure.id == measure_id).values(text="改写的措施。"))


def _plan_title(session, world, m):
    session.execute(update(Plan).where(Plan.id == m.plan_id).values(title="改名的计划"))


def _phase_deadline(session, world, m):
    session.execute(update(Phase).where(Phase.plan_id == m.plan_id).values(deadline=m.due_date + timedelta(days=3)))


FLOWS = [_submit, _approve, _reopen, _request_extension, _extension, _progress_report, _sign, _core_state, _core_due_date, _raw_sql, _delete_milestone,
         _new_milestone, _assignment_signed, _measure_text, _plan_title, _phase_deadline]


@pytest.mark.parametrize("flow", FLOWS, ids=[f.__name__.strip("_") for f in FLOWS])
def test_every_kind_of_change_moves_the_plans_version_and_no_other(session_factory, flow):
    with session_factory() as session:
        world = build_world(session)
        city, district = world.plans["city"], world.plans["district"]
        milestone = milestones_of(session, world, "ip")[0]
        before, other = versions.version(session, [city]), versions.version(session, [district])
        both = versions.version(session, [city, district])
        before = flow(session, world, milestone) or before
        session.commit()
        assert versions.version(session, [city]) > before
        assert versions.version(session, [city, district]) > both
        assert versions.version(session, [district]) == other


def test_the_scans_bookkeeping_leaves_the_version(session_factory):
    """The reminder scan writes next_reminder_at on thousands of milestones a minute: no page reads it."""
    with session_factory() as session:
        world = build_world(session)
        plan_ids = list(world.plans.values())
        before = versions.version(session, plan_ids)
        session.execute(update(Milestone).values(next_reminder_at=NOW + timedelta(days=1)))
        session.commit()
        assert versions.version(session, plan_ids) == before
        session.execute(update(Milestone).values(state=APPROVED))
        session.commit()
        assert versions.version(session, plan_ids) > before


def test_activation_and_deletion_move_it(session_factory):
    with session_factory() as session:
        world = build_world(session)
        actor = Actor.system(world.offices["city"].id)
        created = create_plan_from_parsed(session, actor, simple_plan("市知识产权局", ["市发展改革委"], measures=3), now=NOW)
        session.commit()
        draft = versions.version(session, [created.plan.id])
        assert draft > 0  # the plan, its phases, tasks and measures were inserted
        activate_plan(session, actor, created.plan.id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=5)
        session.commit()
        active = versions.version(session, [created.plan.id])
        assert active > draft
        session.execute(delete(Milestone).where(Milestone.plan_id == created.plan.id))
        session.commit()
        assert versions.version(session, [created.plan.id]) > active


def test_folding_keeps_every_version(session_factory, engine):
    with session_factory() as session:
        world = build_world(session)
        plan_ids = list(world.plans.values())
        for m in milestones_of(session, world, "ip"):
            for state in ("acknowledged", "submitted", "returned"):
                m.state = state
                session.flush()
        session.commit()
        each = {p: versions.version(session, [p]) for p in plan_ids}
        rows = session.scalar(select(func.count()).select_from(PlanChange))
        if engine.dialect.name == "postgresql":
            assert rows > len(plan_ids)  # appended, one row per change
        else:
            assert rows == len(plan_ids)  # one row per plan, counted in place
        versions.compact(session)
        session.commit()
        assert session.scalar(select(func.count()).select_from(PlanChange)) == len(plan_ids)
        assert {p: versions.version(session, [p]) for p in plan_ids} == each
        assert versions.version(session, []) == 0


def test_two_writers_of_one_plan_never_wait_for_each_others_count(session_factory, engine):
    """PostgreSQL: the counts are appended, so a writer holding its transaction open (the scan,
    a long import) does not hold up another one changing the same plan's other milestones."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with session_factory() as session:
        world = build_world(session, measures=2)
        first, second = milestones_of(session, world, "ip")[:2]
        assert first.plan_id == second.plan_id
        before = versions.version(session, [first.plan_id])
    with session_factory() as slow, session_factory() as quick:
        slow.execute(update(Milestone).where(Milestone.id == first.id).values(state=APPROVED))
        quick.execute(text("SET LOCAL lock_timeout = '2s'"))
        quick.execute(update(Milestone).where(Milestone.id == second.id).values(state=APPROVED))
        quick.commit()  # would fail with "lock timeout" if it queued behind `slow`
        slow.commit()
    with session_factory() as session:
        assert versions.version(session, [first.plan_id]) == before + 2
