"""Import hygiene: a document imported twice is noticed, drafts can be deleted
with the names they proposed, past deadlines and unreachable units are flagged,
and proposed names stay out of the directory until confirmed."""

from datetime import date

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.delivery.models import Channel
from service.departments.models import Department
from service.errors import Conflict, Forbidden, NotFound
from service.flows.drafting import add_phase, assign_measures, delete_draft, readiness_notices
from service.flows.importing import DuplicateImport, import_plan
from service.plans.models import Plan
from tests.factories import NOW

PLAN = """测试行动计划
一、重点任务
1.推进甲工作。完善甲机制(市知识产权局牵头,市新设局配合)。
2.推进乙工作。2026年6月底前完善乙机制(市知识产权局牵头)。
"""


def test_the_same_document_again_is_refused_with_the_plan_it_became(session, world):
    admin = world.actor(session, "city_admin")
    first = import_plan(session, admin, text=PLAN, now=NOW).plan
    # The same text with other line breaks and spacing, or as a GB18030 file, is the same document.
    for again in (
        {"text": PLAN.replace("\n", "\r\n  ")},
        {"data": PLAN.encode("gb18030"), "filename": "计划.txt"},
    ):
        with pytest.raises(DuplicateImport, match="这份文件已经导入过：计划“测试行动计划”") as refused:
            import_plan(session, admin, now=NOW, **again)
        assert refused.value.plan_id == first.id and refused.value.status_code == 409
    second = import_plan(session, admin, text=PLAN, now=NOW, allow_duplicate=True).plan
    assert second.id != first.id and second.source_hash == first.source_hash
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.import", AuditEvent.entity_id == second.id)).one()
    assert event.after["duplicate_of"] == first.id
    # Another office has its own plans: no refusal there.
    import_plan(session, world.actor(session, "other_admin"), text=PLAN, now=NOW)


def test_a_draft_is_deleted_with_the_names_only_it_proposed(session, world):
    admin = world.actor(session, "city_admin")
    plan = import_plan(session, admin, text=PLAN, now=NOW).plan
    kept = import_plan(session, admin, text=PLAN.replace("测试行动计划", "另一计划").replace("市新设局", "市另设局"), now=NOW).plan
    plan_id = plan.id
    assert session.scalars(select(Department).where(Department.name == "市新设局")).one().confirmed is False

    for user, error in (("ip_user", Forbidden), ("other_admin", NotFound)):
        with pytest.raises(error):
            delete_draft(session, world.actor(session, user), plan_id, now=NOW)
    with pytest.raises(Conflict):
        delete_draft(session, admin, world.plans["city"], now=NOW)

    assert delete_draft(session, admin, plan_id, now=NOW) == "测试行动计划"
    session.expire_all()
    assert session.get(Plan, plan_id) is None and session.get(Plan, kept.id) is not None
    names = set(session.scalars(select(Department.name)))
    assert "市新设局" not in names and {"市另设局", "市知识产权局"} <= names
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.delete")).one()
    assert event.entity_id == plan_id and event.before["title"] == "测试行动计划"
    assert event.after == {"proposed_units_dropped": ["市新设局"]}
    # Deleted, the document can be imported again without a word.
    import_plan(session, admin, text=PLAN, now=NOW)


def test_past_deadlines_and_units_without_contact_are_flagged(session, world):
    admin = world.actor(session, "city_admin")
    plan = import_plan(session, admin, text=PLAN, now=NOW).plan
    today = NOW.date()
    phase = add_phase(session, admin, plan.id, "准备阶段", "2026-03-31", now=NOW)
    add_phase(session, admin, plan.id, "实施阶段", "2027-06-30", now=NOW)
    bare = Department(office_id=plan.office_id, name="市无联系局", created_at=NOW)
    reached = Department(office_id=plan.office_id, name="市有渠道局", created_at=NOW)
    session.add_all([bare, reached])
    session.flush()
    session.add(Channel(office_id=plan.office_id, department_id=reached.id, type="email", target="x@example.cn"))
    assign_measures(
        session, admin, plan.id, [plan.measures[0].id], lead=[bare.id], support=[reached.id, world.departments["ip"].id],
        deadline=None, now=NOW,
    )
    notices = readiness_notices(session, plan, today)
    assert [(n.code, n.phase_id, n.measure_id, n.department_id) for n in notices] == [
        ("past_deadline", phase.id, None, None),
        ("past_deadline", None, plan.measures[1].id, None),
        ("no_contact", None, None, bare.id),
    ]
    assert "2026-06-30 已过" in notices[1].message and "市无联系局" in notices[2].message
    assert plan.measures[1].deadline == date(2026, 6, 30)
