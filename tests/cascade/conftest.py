"""The chain of offices the cascade tests share."""

import pytest
from sqlalchemy import select

from service.auth.actor import Actor
from service.auth.models import ROLE_ADMIN
from service.departments.models import Department
from service.flows.activation import activate_plan
from service.flows.plan_creation import create_plan_from_parsed
from service.milestones.models import Milestone
from service.offices.models import Office
from service.plans.models import Assignment, Measure
from service.workdays import WorkdayCalendar
from tests.factories import NOW, World, add_user, build_world, simple_plan


@pytest.fixture
def chain(session_factory, client):
    """build_world's city and 越秀区 plus a sibling district and a street below 越秀区; the city's
    directory maps 越秀区政府 and 天河区政府 to their offices and 各区政府 to both."""
    with session_factory() as session:
        world = build_world(session)
        city, district = world.offices["city"], world.offices["district"]
        sibling = Office(name="天河区知识产权工作领导小组办公室", parent_id=city.id)
        session.add(sibling)
        session.flush()
        street = Office(name="北京街道知识产权工作办公室", parent_id=district.id)
        session.add(street)
        session.flush()
        world.offices |= {"sibling": sibling, "street": street}
        add_user(session, world, sibling, "sibling_admin", ROLE_ADMIN)
        add_user(session, world, street, "street_admin", ROLE_ADMIN)
        for key, name, kind in (("yuexiu_gov", "越秀区政府", "unit"), ("tianhe_gov", "天河区政府", "unit"),
                                ("districts", "各区政府", "group")):
            world.departments[key] = Department(office_id=city.id, name=name, kind=kind, created_at=NOW)
            session.add(world.departments[key])
        session.commit()
    headers = world.headers("city_admin")
    for key, office in (("yuexiu_gov", "district"), ("tianhe_gov", "sibling")):
        answer = client.put(f"/api/v1/departments/{world.departments[key].id}/offices",
                            json={"office_ids": [world.offices[office].id]}, headers=headers)
        assert answer.status_code == 200 and answer.json()["represents_office_id"] == world.offices[office].id
    answer = client.put(f"/api/v1/departments/{world.departments['districts'].id}/offices",
                        json={"office_ids": [world.offices["district"].id, world.offices["sibling"].id]}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["members"] == sorted([world.departments["yuexiu_gov"].id, world.departments["tianhe_gov"].id])
    with session_factory() as session:
        actor = Actor.system(world.offices["city"].id)
        plan = create_plan_from_parsed(session, actor, simple_plan("市知识产权局", ["各区政府"], measures=2), now=NOW).plan
        activate_plan(session, actor, plan.id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=5)
        session.commit()
        world.plans["issued"] = plan.id
        issued = {
            key: session.scalars(select(Assignment.id).join(Measure, Measure.id == Assignment.measure_id).where(
                Measure.plan_id == plan.id, Assignment.department_id == world.departments[key].id
            ).order_by(Assignment.id)).all()
            for key in ("yuexiu_gov", "tianhe_gov")
        }
        world.issued = issued
        world.milestones = {
            a: session.scalars(select(Milestone.id).where(Milestone.assignment_id == a)).all()
            for ids in issued.values() for a in ids
        }
        world.measures = sorted(session.scalars(select(Measure.id).where(Measure.plan_id == plan.id)))
    return world


def office_with_children(session, parent_key: str, parent_name: str, children: dict[str, str], created_at) -> World:
    """A parent office and its child offices (名称 + 知识产权工作领导小组办公室), each with an admin
    `<key>_admin`; flushed, not committed."""
    world = World()
    parent = Office(name=parent_name, created_at=created_at)
    session.add(parent)
    session.flush()
    world.offices[parent_key] = parent
    add_user(session, world, parent, f"{parent_key}_admin", ROLE_ADMIN)
    for key, name in children.items():
        office = Office(name=f"{name}知识产权工作领导小组办公室", parent_id=parent.id, created_at=created_at)
        session.add(office)
        session.flush()
        world.offices[key] = office
        add_user(session, world, office, f"{key}_admin", ROLE_ADMIN)
    return world
