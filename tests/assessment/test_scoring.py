"""A scheme computed over the scripted year, every unit's score checked item by item
against arithmetic done by hand; entered items, publishing, freezing and corrections."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from service.assessment import service
from service.assessment.models import AssessmentCorrection, AssessmentScore
from service.audit.models import AuditEvent
from service.errors import Conflict, Invalid
from service.milestones.assignments import submit_progress
from service.milestones.service import submit_report
from tests.assessment.conftest import CALENDAR, TZ, at, year_scheme

TODAY = date(2027, 1, 5)  # after the year: every record up to 31 December is judged


def compute(session, world, year):
    admin = world.actor(session, "city_admin")
    scheme = service.create_scheme(session, admin, year_scheme(year.plan_id), now=at("2027-01-04"))
    result = service.compute_result(session, admin, scheme.id, start="2026-01-01", end="2026-12-31", today=TODAY,
                                    calendar=CALENDAR, tz=TZ, now=at("2027-01-05"))
    session.commit()
    return scheme, result


def lines_of(session, result, world, key):
    score = session.scalars(select(AssessmentScore).where(
        AssessmentScore.result_id == result.id,
        AssessmentScore.department_id == world.departments[key].id)).one()
    return score, {line["key"]: line for line in score.lines}


def test_every_units_score_item_by_item_matches_the_hand_arithmetic(session, world, year):
    _, result = compute(session, world, year)
    assert result.as_of == date(2026, 12, 31)

    ip, lines = lines_of(session, result, world, "ip")
    got = {key: Decimal(line["points"]) for key, line in lines.items()}
    # 市知识产权局 (items A1 and A3):
    # signing: deadline Wed 4 Mar (2 workdays after Mon 2 Mar); A1 signed 3 Mar (on time),
    #   A3 signed Mon 9 Mar: Thu 5, Fri 6, Mon 9 = 3 workdays late. 10 × 1/2 = 5
    assert got["signing"] == Decimal("5.00")
    assert "迟3个工作日" in lines["signing"]["records"][0] and "措施丙" in lines["signing"]["records"][0]
    # reporting: quarters Q1–Q4 owed by both items (both open into Q4): 8 periods;
    #   A1 reported in all four, A3 in Q1 and Q3 only: 6/8. 15 × 6/8 = 11.25
    assert got["reporting"] == Decimal("11.25")
    assert len(lines["reporting"]["records"]) == 2
    # checkpoints due in 2026: A1P1 (on time), A1P2 (reported Thu 3 Dec for Mon 30 Nov: late),
    #   A3P1 (returned, reported again Fri 3 Jul for Tue 30 Jun: late), A3P2 (extended to
    #   14 Dec, reported 10 Dec: on time): 2/4. 20 × 2/4 = 10
    assert got["checkpoints"] == Decimal("10.00")
    # overdue: A1P2 late Tue 1, Wed 2, Thu 3 Dec = 3 workdays: 1 + 0.5 × 3 = 2.5;
    #   A3P1 late Wed 1, Thu 2, Fri 3 Jul = 3 workdays: 2.5. 10 − 5 = 5
    assert got["overdue"] == Decimal("5.00")
    assert [r.count("逾期3个工作日") for r in lines["overdue"]["records"]] == [1, 1]
    # returns: A3P1 returned once on 1 Jul: 5 − 1 = 4
    assert got["returns"] == Decimal("4.00")
    # extensions: A3P2 extended once (approved 23 Nov): 5 − 0.5 = 4.5
    assert got["extensions"] == Decimal("4.50")
    # mandatory: task 1 is 必做: A1P1 and A1P2 both approved by 31 Dec: 10 × 2/2 = 10
    assert got["mandatory"] == Decimal("10.00")
    # indicators: 专利授权量 1200 ≥ 1000 reached; 质押融资额 40 < 50 as of 25 Dec (the 60 of
    #   3 Jan 2027 is after the period): 1/2. 15 × 1/2 = 7.5
    assert got["indicators"] == Decimal("7.50")
    # entered: nothing yet: penalty keeps its 5, bonus adds 0
    assert (got["penalty"], got["bonus"]) == (Decimal("5.00"), Decimal("0.00"))
    # total 5 + 11.25 + 10 + 5 + 4 + 4.5 + 10 + 7.5 + 5 + 0 = 62.25: 合格 (60 ≤ 62.25 < 80)
    assert (ip.total, ip.grade) == (Decimal("62.25"), "合格")

    dev, lines = lines_of(session, result, world, "dev")
    got = {key: Decimal(line["points"]) for key, line in lines.items()}
    # 市发展改革委 (items A2 and A4):
    # signing: both signed Wed 4 Mar, the deadline: 10 × 2/2 = 10
    assert got["signing"] == Decimal("10.00")
    # reporting: A2 owes Q1–Q4 and reported all; A4 closed 15 Sep (before Q4 began 1 Oct),
    #   owes Q1–Q3 and reported all: 7/7. 15
    assert got["reporting"] == Decimal("15.00")
    assert lines["reporting"]["summary"] == "应报送7期，按时报送7期"
    # checkpoints: A2P1 (reported on the day), A4P1, A4P2 on time; A2P2 never reported: 3/4.
    #   20 × 3/4 = 15
    assert got["checkpoints"] == Decimal("15.00")
    # overdue: A2P2 due Mon 30 Nov, open on 31 Dec: the workdays 1–31 Dec 2026 (Tue 1 to
    #   Thu 31, no holiday): 4 + 5 + 5 + 5 + 4 = 23; 1 + 0.5 × 23 = 12.5 > 10: capped, 0
    assert got["overdue"] == Decimal("0.00")
    assert "逾期23个工作日" in lines["overdue"]["records"][0]
    assert "以本项分值为限" in lines["overdue"]["summary"]
    # no return, no extension: 5 and 5
    assert (got["returns"], got["extensions"]) == (Decimal("5.00"), Decimal("5.00"))
    # mandatory: none of dev's items is 必做: full 10, said so
    assert got["mandatory"] == Decimal("10.00")
    assert "未标注" in lines["mandatory"]["summary"]
    # indicators: 商标注册量 520 ≥ 500: 1/1, 15
    assert got["indicators"] == Decimal("15.00")
    # total 10 + 15 + 15 + 0 + 5 + 5 + 10 + 15 + 5 + 0 = 80: 良好 (80 ≤ 80 < 90)
    assert (dev.total, dev.grade) == (Decimal("80.00"), "良好")

    # Only the plan's units are scored (the other office's and the district's are not).
    assert {s.department_id for s in session.scalars(select(AssessmentScore).where(
        AssessmentScore.result_id == result.id))} == {world.departments["ip"].id, world.departments["dev"].id}


def test_entered_items_publish_freeze_and_a_recorded_correction(session, world, year):
    _, result = compute(session, world, year)
    admin = world.actor(session, "city_admin")
    dev_id, ip_id = world.departments["dev"].id, world.departments["ip"].id
    with pytest.raises(Invalid, match="理由"):
        service.set_entered(session, admin, result.id, department_id=ip_id, item_key="bonus", amount="3",
                            reason=" ", now=at("2027-01-05"))
    with pytest.raises(Invalid, match="不能超过"):
        service.set_entered(session, admin, result.id, department_id=ip_id, item_key="bonus", amount="6",
                            reason="获国家级表彰", now=at("2027-01-05"))
    with pytest.raises(Invalid, match="系统按记录计算"):
        service.set_entered(session, admin, result.id, department_id=ip_id, item_key="signing", amount="1",
                            reason="x", now=at("2027-01-05"))
    session.rollback()
    # 62.25 + 3 = 65.25 (合格); 80 − 2 = 78 (合格: below 良好's 80)
    service.set_entered(session, admin, result.id, department_id=ip_id, item_key="bonus", amount="3",
                        reason="获国家知识产权示范城市表彰", evidence="国知发〔2026〕9号", now=at("2027-01-05"))
    service.set_entered(session, admin, result.id, department_id=dev_id, item_key="penalty", amount="2",
                        reason="年度统计数据报送错误", now=at("2027-01-05"))
    session.commit()
    ip, _ = lines_of(session, result, world, "ip")
    dev, _ = lines_of(session, result, world, "dev")
    assert (ip.total, ip.grade, dev.total, dev.grade) == (Decimal("65.25"), "合格", Decimal("78.00"), "合格")
    entered = session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.enter")).all()
    assert [e.after["reason"] for e in entered] == ["获国家知识产权示范城市表彰", "年度统计数据报送错误"]

    # Recomputing a draft keeps what was entered.
    service.recompute(session, admin, result.id, today=TODAY, calendar=CALENDAR, tz=TZ, now=at("2027-01-06"))
    session.commit()
    assert lines_of(session, result, world, "ip")[0].total == Decimal("65.25")

    service.publish(session, admin, result.id, ranking_public=False, now=at("2027-01-06"))
    session.commit()
    frozen = {s.department_id: (s.total, s.lines) for s in service.scores_of(session, result)}

    # Later activity: A2P2 finally reported, another progress report, a late reading.
    dev_user = world.actor(session, "dev_user")
    submit_report(session, dev_user, year.checkpoints["A2P2"].id, text="已完成。", percent=100, now=at("2027-01-07"))
    submit_progress(session, dev_user, year.items["A2"].id, text="补报。", percent=100, now=at("2027-01-07"))
    session.commit()
    with pytest.raises(Conflict, match="更正"):
        service.recompute(session, admin, result.id, today=date(2027, 1, 8), calendar=CALENDAR, tz=TZ,
                          now=at("2027-01-08"))
    with pytest.raises(Conflict):
        service.set_entered(session, admin, result.id, department_id=ip_id, item_key="bonus", amount="1",
                            reason="再加", now=at("2027-01-08"))
    session.rollback()
    session.expire_all()
    assert {s.department_id: (s.total, s.lines) for s in service.scores_of(session, result)} == frozen
    # A fresh draft over the same year does see the late report (dev's checkpoint now counts
    # as reported on 7 Jan, still late: the published result is the one that stays).
    scheme_id = result.scheme_id
    fresh = service.compute_result(session, admin, scheme_id, start="2026-01-01", end="2026-12-31",
                                   today=date(2027, 1, 8), calendar=CALENDAR, tz=TZ, now=at("2027-01-08"))
    session.commit()
    assert lines_of(session, fresh, world, "dev")[1]["checkpoints"]["records"][0].count("2027年1月7日报送办结") == 1

    # The correction: the penalty on dev was wrong; 3 instead of 5 − 2 = 3 is kept, set to 5.
    with pytest.raises(Invalid, match="更正理由"):
        service.correct(session, admin, result.id, department_id=dev_id, item_key="penalty", new_points="5",
                        reason="", now=at("2027-01-09"))
    session.rollback()
    service.correct(session, admin, result.id, department_id=dev_id, item_key="penalty", new_points="5",
                    reason="统计数据经核实无误，撤销扣分", now=at("2027-01-09"))
    session.commit()
    dev, lines = lines_of(session, result, world, "dev")
    # 78 − 3 + 5 = 80: 良好 again
    assert (dev.total, dev.grade) == (Decimal("80.00"), "良好")
    assert "由3分更正为5分" in lines["penalty"]["corrected"]
    correction = session.scalars(select(AssessmentCorrection)).one()
    assert (correction.before["total"], correction.after["total"]) == ("78.00", "80.00")
    assert correction.corrected_by_name == "city_admin" and correction.reason == "统计数据经核实无误，撤销扣分"
    assert correction.created_at == at("2027-01-09")


def test_scheme_checks_and_versions(session, world, year):
    admin = world.actor(session, "city_admin")
    values = year_scheme(year.plan_id)
    values["items"][0]["weight"] = "11"
    with pytest.raises(Invalid, match="须等于总分100"):
        service.create_scheme(session, admin, values, now=at("2027-01-04"))
    with pytest.raises(Invalid, match="从高到低"):
        service.create_scheme(session, admin, year_scheme(year.plan_id) | {"grades": [["合格", "60"], ["优秀", "90"]]},
                              now=at("2027-01-04"))
    session.rollback()
    scheme, result = compute(session, world, year)
    # Not used by a published result yet: edited in place.
    edited = service.update_scheme(session, admin, scheme.id, year_scheme(year.plan_id) | {"name": "改名"},
                                   now=at("2027-01-05", 11))
    assert (edited.id, edited.version) == (scheme.id, 1)
    session.commit()
    # Scores computed before the edit are not published under it.
    with pytest.raises(Conflict, match="重新计算"):
        service.publish(session, admin, result.id, ranking_public=True, now=at("2027-01-06"))
    session.rollback()
    service.recompute(session, admin, result.id, today=TODAY, calendar=CALENDAR, tz=TZ, now=at("2027-01-06"))
    service.publish(session, admin, result.id, ranking_public=True, now=at("2027-01-06"))
    session.commit()
    # Used by a published result: the edit is version 2, the result keeps version 1.
    second = service.update_scheme(session, admin, scheme.id, year_scheme(year.plan_id) | {"name": "第二版"},
                                   now=at("2027-01-07"))
    session.commit()
    assert (second.version, second.previous_id) == (2, scheme.id)
    session.refresh(scheme)
    assert scheme.superseded and scheme.name == "改名" and result.scheme_id == scheme.id
    assert [s.id for s in service.list_schemes(session, admin)] == [second.id]
    actions = [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("assessment.scheme%")).order_by(AuditEvent.id))]
    assert actions == ["assessment.scheme_create", "assessment.scheme_update", "assessment.scheme_version"]
    with pytest.raises(Conflict):
        service.update_scheme(session, admin, scheme.id, year_scheme(year.plan_id), now=at("2027-01-07"))


def test_a_deadline_on_the_day_judged_is_not_missed_until_the_day_is_over():
    # A plain-function check: Mon 7 Dec 2026 is today; one checkpoint was due on Fri 4 Dec
    # and one is due today, both open; an item had to be signed by today and is not yet.
    today = date(2026, 12, 7)
    period = service.Period(date(2026, 1, 1), date(2026, 12, 31), today, CALENDAR, settled=date(2026, 12, 6))
    item = service.ItemFact(1, "措施甲", False, sign_by=today, signed=None, cycle="none", cycle_day=None,
                            issued=date(2026, 12, 3))
    records = service.UnitRecords(items=[item], checkpoints=[
        service.CheckpointFact(1, 1, date(2026, 12, 4), "acknowledged", None, None),
        service.CheckpointFact(2, 1, today, "acknowledged", None, None),
    ])
    weight = Decimal(10)
    checkpoints = service.score_checkpoints(records, period, weight, {})
    # Only the 4 December one is judged: late Mon 7 Dec = 1 workday; 10 × 0/1 = 0
    assert (checkpoints.points, checkpoints.summary) == (Decimal("0.00"), "到期节点1个，按时办结0个")
    assert checkpoints.records == ["措施甲：时限2026年12月4日，至2026年12月7日未办结，迟1个工作日"]
    # overdue: 1 + 0.5 × 1 = 1.5 off 10
    overdue = service.score_overdue(records, period, weight, {"per_item": "1", "per_workday": "0.5"})
    assert overdue.points == Decimal("8.50")
    # Signing by today: nothing to judge yet, full marks
    assert service.score_signing(records, period, weight, {}).summary == "应签收0件，按时签收0件"
    # The same day once over (the period ended on 7 December, computed later): both judged.
    closed = service.Period(date(2026, 1, 1), today, today, CALENDAR, settled=today)
    assert service.score_checkpoints(records, closed, weight, {}).summary == "到期节点2个，按时办结0个"
    assert service.score_signing(records, closed, weight, {}).points == Decimal("0.00")
