"""Several levels work the same way (issue 13, item 6): the city issues to 越秀区, which
decomposes its share into a measure for its streets' group; starting the district's plan issues
it on to the street office, which sees it as 上级交办 from the district, never the city's."""

import pytest

from service.departments import service as directory
from service.departments.models import Department
from service.errors import NotFound
from service.flows import cascade
from service.flows.activation import activate_plan
from service.milestones import assignments
from service.workdays import WorkdayCalendar
from tests.factories import NOW


def test_a_district_issues_its_share_on_to_its_street(chain, session):
    district = chain.actor(session, "district_admin")
    street = chain.actor(session, "street_admin")
    streets = Department(office_id=chain.offices["district"].id, name="各街道办事处", kind="group", created_at=NOW)
    session.add(streets)
    session.flush()
    directory.set_child_offices(session, district, streets.id, [chain.offices["street"].id], now=NOW)
    item = chain.issued["yuexiu_gov"][0]
    measure = cascade.decompose(
        session, district, item, plan_id=None, plan_title="越秀区落实方案", phases=[{"name": "落实", "deadline": "2026-12-01"}],
        text="各街道落实。", deadline=None, lead=[chain.departments["yuexiu_ip"].id], support=[streets.id],
        late_reason=None, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=0,
    )
    activate_plan(session, district, measure.plan_id, now=NOW, calendar=WorkdayCalendar(), support_lead_workdays=0)
    session.commit()

    received = cascade.issued_to_office(session, street, today=NOW.date())
    assert [(i.office.name, i.item.assignment.measure.text) for i in received] == [
        ("越秀区知识产权工作领导小组办公室", "各街道落实。")
    ]
    # The street reports up to the district; the district's figure for the city's item counts it.
    own = received[0].item.assignment
    assignments.submit_progress(session, street, own.id, text="街道已落实。", percent=100, now=NOW)
    session.commit()
    figures = cascade.issued_rows(session, chain.actor(session, "city_admin"), chain.measures[0], today=NOW.date())
    yuexiu = next(r for r in figures if r.office.id == chain.offices["district"].id)
    assert (yuexiu.figures.measures, yuexiu.figures.checkpoints) == (1, 2)
    # The city's item is the district's to work, not the street's.
    with pytest.raises(NotFound):
        cascade.get_issued(session, street, item, today=NOW.date())
    with pytest.raises(NotFound):
        assignments.submit_progress(session, street, item, text="越级报送。", percent=10, now=NOW)
