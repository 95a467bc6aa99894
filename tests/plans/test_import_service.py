"""Importer service functions called directly: suggestions, merging on mapping,
placeholders that stay while another plan uses them, and `duban plan import`."""

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from service.audit.models import AuditEvent
from service.config import get_settings
from service.database import make_engine, make_session_factory
from service.departments.models import Department
from service.flows.importing import apply_department_mapping, import_plan, preview_for, suggest_departments
from service.plans.models import Plan
from service.flows.plan_creation import create_plan_from_parsed
from tests.factories import NOW, simple_plan

from .conftest import seed_path


def _department(session, office_id, name, **values):
    department = Department(office_id=office_id, name=name, created_at=NOW, **values)
    session.add(department)
    session.flush()
    return department


def test_suggestions_rank_prefix_and_suffix_variants_first(session, world):
    office = world.offices["city"].id
    ip = world.departments["ip"]
    court = _department(session, office, "广州知识产权法院")
    _department(session, office, "市版权局草稿", confirmed=False)
    _department(session, office, "市统计局", aliases=["统计局"])

    found = suggest_departments(session, office, "知识产权局")
    assert found[0] == {"department_id": ip.id, "name": "市知识产权局", "score": 0.95}
    assert court.id in [s["department_id"] for s in found]
    # Aliases count, unconfirmed departments and other offices' do not.
    assert suggest_departments(session, office, "区统计局")[0]["name"] == "市统计局"
    assert all(s["name"] != "市版权局草稿" for s in suggest_departments(session, office, "市版权局"))
    assert all(s["name"] != "市知识产权局" for s in suggest_departments(session, world.offices["other"].id, "知识产权局"))
    assert len(suggest_departments(session, office, "知识产权局", limit=1)) == 1
    assert suggest_departments(session, office, "团市委") == []


@pytest.mark.parametrize(("placeholder_role", "expected_role"), [("lead", "lead"), ("support", "lead")])
def test_mapping_merges_with_the_target_on_the_same_measure(session, world, placeholder_role, expected_role):
    """The document names one unit twice (知识产权局 and 市知识产权局): one assignment, lead wins."""
    actor = world.actor(session, "city_admin")
    ip = world.departments["ip"]
    lead, support = ("知识产权局", ["市知识产权局"]) if placeholder_role == "lead" else ("市知识产权局", ["知识产权局"])
    plan = create_plan_from_parsed(session, actor, simple_plan(lead, support), now=NOW).plan
    assert [u.name for u in preview_for(session, actor, plan.id).unmatched] == ["知识产权局"]

    preview = apply_department_mapping(session, actor, plan.id, {"知识产权局": ip.id}, now=NOW)

    assert preview.unmatched == [] and [m.department_id for m in preview.matched] == [ip.id]
    [assignment] = plan.measures[0].assignments
    assert (assignment.department_id, assignment.role) == (ip.id, expected_role)
    assert "知识产权局" in session.get(Department, ip.id).aliases
    assert session.scalars(select(Department).where(Department.name == "知识产权局")).first() is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.map_department")).one()
    assert event.after == {
        "name": "知识产权局", "department_id": ip.id, "reassigned": 0, "merged": 1, "placeholder_deleted": True,
    }


def test_a_placeholder_used_by_another_draft_stays(session, world):
    actor = world.actor(session, "city_admin")
    first = create_plan_from_parsed(session, actor, simple_plan("市新设单位", []), now=NOW).plan
    second = create_plan_from_parsed(session, actor, simple_plan("市新设单位", []), now=NOW).plan
    target = world.departments["dev"]

    apply_department_mapping(session, actor, first.id, {"市新设单位": target.id}, now=NOW)

    placeholder = session.scalars(select(Department).where(Department.name == "市新设单位")).one()
    assert not placeholder.confirmed
    assert [u.name for u in preview_for(session, actor, second.id).unmatched] == ["市新设单位"]
    assert first.measures[0].assignments[0].department_id == target.id


def test_confirming_a_name_is_audited(session, world):
    actor = world.actor(session, "city_admin")
    plan = create_plan_from_parsed(session, actor, simple_plan("市新设单位", []), now=NOW).plan
    apply_department_mapping(session, actor, plan.id, {"市新设单位": None}, now=NOW)
    department = session.scalars(select(Department).where(Department.name == "市新设单位")).one()
    assert department.confirmed
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "department.confirm")).one()
    assert (event.entity_id, event.before, event.after["confirmed"]) == (department.id, {"confirmed": False}, True)


def test_import_requires_exactly_one_input(session, world):
    from service.errors import Invalid

    actor = world.actor(session, "city_admin")
    with pytest.raises(Invalid):
        import_plan(session, actor, now=NOW)
    with pytest.raises(Invalid):
        import_plan(session, actor, data=b"x", text="x", now=NOW)


runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DUBAN_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_import_prints_the_preview(cli_database):
    from service.cli import app

    result = runner.invoke(app, ["plan", "import", str(seed_path("003"))])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["plan"]["status"] == "draft"
    assert (output["preview"]["tasks"], output["preview"]["measures"], output["preview"]["phases"]) == (17, 61, 4)
    assert len(output["preview"]["unmatched"]) == 47
    engine = make_engine(cli_database)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count(Plan.id))) == 1
    engine.dispose()


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 8, "普通的一段文字。".encode()])
def test_cli_import_of_bad_input_exits_2_and_writes_nothing(cli_database, tmp_path, content):
    from service.cli import app

    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    result = runner.invoke(app, ["plan", "import", str(path)])
    assert result.exit_code == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("duban: ")
    engine = make_engine(cli_database)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count(Plan.id))) == 0
    engine.dispose()


def test_cli_import_of_a_document_imported_before_exits_2_unless_again(cli_database):
    from service.cli import app

    assert runner.invoke(app, ["plan", "import", str(seed_path("003"))]).exit_code == 0
    refused = runner.invoke(app, ["plan", "import", str(seed_path("003"))])
    assert refused.exit_code == 2 and "这份文件已经导入过" in refused.stderr and refused.stdout == ""
    assert runner.invoke(app, ["plan", "import", "--again", str(seed_path("003"))]).exit_code == 0


def test_cli_import_of_a_missing_file_exits_2(cli_database, tmp_path):
    from service.cli import app

    result = runner.invoke(app, ["plan", "import", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "missing.txt" in result.stderr
