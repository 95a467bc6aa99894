"""The 交办通知 of the demo plan to one unit: one message per channel listing each of
its measures once with its checkpoint dates, without the document's section labels,
split only where the channel's size limit forces it."""

import json
import re

from sqlalchemy import select

from service.bootstrap import service_database
from service.clock import FixedClock
from service.config import Settings
from service.database import transaction
from service.delivery.dispatcher import dispatch_once
from service.delivery.models import Channel
from service.demo import load_demo
from service.departments.models import Department
from service.plans.parser.outline import without_section_labels
from service.reminders.handoff import by_measure
from service.plans.models import Assignment, Measure, Phase
from service.reminders.scan import run_scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW
from tests.support.robot_receiver import WECOM_MARKDOWN_MAX_BYTES, WECOM_TEXT_MAX_BYTES

UNIT = "市知识产权局"


def _demo_with_robots(tmp_path, robot_receiver) -> tuple:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key="demo-test",
        wecom_base_url=robot_receiver.base_url, feishu_base_url=robot_receiver.base_url,
    )
    load_demo(settings, FixedClock(NOW))
    return settings


def _notify(settings, robot_receiver, channel_type: str, mentions=()) -> tuple[list, list[str]]:
    with service_database(settings) as (session_factory, _):
        with transaction(session_factory) as session:
            unit = session.scalars(select(Department).where(Department.name == UNIT)).one()
            session.add(Channel(office_id=unit.office_id, department_id=unit.id, audience="department",
                                type=channel_type, target="unit-key", enabled=True, created_at=NOW,
                                mentions=list(mentions)))
        run_scan(session_factory, settings, WorkdayCalendar(), NOW)
        dispatch_once(session_factory, settings, now=NOW)
        with session_factory() as session:
            measures = session.scalars(
                select(Measure.text).join(Assignment, Assignment.measure_id == Measure.id).where(Assignment.department_id == unit.id).order_by(Measure.id)
            ).all()
            phases = session.scalars(select(Phase.name).distinct()).all()
    # The demo's early reminders go out on the same scan: the notice is the 交办通知.
    received = [m for m in robot_receiver.received(kind=channel_type, key="unit-key") if "交办通知" in json.dumps(m.payload, ensure_ascii=False)]
    return received, measures, phases


def test_the_demo_units_assignment_notice_lists_each_measure_once_with_its_checkpoints(tmp_path, robot_receiver):
    settings = _demo_with_robots(tmp_path, robot_receiver)
    received, measures, phases = _notify(settings, robot_receiver, "wecom")
    bodies = [m.payload["markdown"]["content"] for m in received]
    text = "\n".join(bodies)
    assert len(measures) > 20 and len(phases) >= 2
    for measure in measures:
        assert text.count(measure[:24]) == 1, measure[:24]
    # Every phase's checkpoint date is listed inside the measure's one entry.
    first_entry = next(line for line in bodies[0].splitlines() if "[签收]" in line)
    assert first_entry.count("日") == len(phases) and "阶段" not in text, first_entry
    # Nobody is @-mentioned, so WeCom gets markdown, held to its own 4096 bytes (not the text's 2048).
    _assert_fewest_parts(bodies, WECOM_MARKDOWN_MAX_BYTES)
    assert len(bodies) <= 5


# One measure's lines with the line breaks before them: what a part grows by when it takes the measure.
ENTRY = re.compile(r"\n+>? ?\d+\. .*?(?=\n+>? ?\d+\. |\n+督办系统：|\Z)", re.DOTALL)


def _assert_fewest_parts(bodies: list[str], limit: int) -> None:
    """Each part within the limit, numbered on from the last, and none could have taken
    the next part's first measure: filling parts in order that far gives the fewest parts."""
    # The dispatcher may deliver a digest's parts in any order.
    bodies = sorted(bodies, key=lambda body: int(re.search(r"^>? ?(\d+)\. ", body, re.MULTILINE).group(1)))
    numbers = [int(n) for body in bodies for n in re.findall(r"^>? ?(\d+)\. ", body, re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1))
    for body, following in zip(bodies, bodies[1:]):
        assert len(body.encode()) <= limit
        next_entry = ENTRY.search(following).group()
        assert len(body.encode()) + len(next_entry.encode()) > limit, (len(body.encode()), next_entry)
    assert len(bodies[-1].encode()) <= limit


def test_a_long_notice_that_mentions_someone_arrives_as_text_in_the_fewest_messages(tmp_path, robot_receiver):
    """A mention makes WeCom send text, whose limit is 2048 bytes: the parts are sized
    by that text (not the longer markdown), each within it, nothing lost."""
    settings = _demo_with_robots(tmp_path, robot_receiver)
    received, measures, _ = _notify(settings, robot_receiver, "wecom", mentions=("13800000001",))

    assert {m.payload["msgtype"] for m in received} == {"text"}
    assert all(m.payload["text"]["mentioned_mobile_list"] == ["13800000001"] for m in received)
    bodies = [m.payload["text"]["content"] for m in received]
    assert len(bodies) > 1
    _assert_fewest_parts(bodies, WECOM_TEXT_MAX_BYTES)
    text = "\n".join(bodies)
    for measure in measures:
        assert text.count(measure[:24]) == 1, measure[:24]
    assert len(set(re.findall(r"/m/\S+", text))) == len(measures)


def test_a_channel_without_a_tight_limit_gets_the_whole_notice_in_one_message(tmp_path, robot_receiver):
    settings = _demo_with_robots(tmp_path, robot_receiver)
    received, measures, _ = _notify(settings, robot_receiver, "feishu")
    assert len(received) == 1


def test_section_labels_are_left_out_and_phases_fold_into_one_item():
    assert without_section_labels("任务目标：建成强市。工作措施：开展试点。") == "建成强市。开展试点。"
    items = [
        {"plan_title": "计划", "measure_text": "工作措施：甲", "role_label": "牵头", "phase_name": name,
         "due_date": due, "milestone_id": i, "link": f"/m/{i}"}
        for i, (name, due) in enumerate([("第二阶段", "2027-06-30"), ("第一阶段", "2026-12-31")], start=1)
    ]
    [item] = by_measure(items)
    assert item["measure_text"] == "甲" and item["link"] == "/m/2" and item["milestone_ids"] == [2, 1]
    assert item["checkpoints"] == [{"phase_name": "第一阶段", "due_date": "2026年12月31日"},
                                   {"phase_name": "第二阶段", "due_date": "2027年6月30日"}]
