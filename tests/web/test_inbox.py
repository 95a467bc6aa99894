"""A department's inbox: what it lists, in which order, and that its rows are selected once."""

import re
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from service.milestones import service as workflow
from service.milestones.models import APPROVED
from tests.factories import NOW, build_world, milestones_of

ITEM = re.compile(r'data-assignment="(\d+)"')


@contextmanager
def milestone_selects():
    """The SELECTs of milestone rows (not counts) every engine runs inside the block."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split()).lower()
        if flat.startswith("select") and "from milestones" in flat and "count(" not in flat:
            seen.append(flat)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_inbox_lists_one_row_per_item_selecting_the_checkpoints_once(session, client_factory):
    world = build_world(session, measures=3)
    milestones = milestones_of(session, world, "ip")
    milestones[1].state = APPROVED
    texts = {m.assignment_id: m.assignment.measure.text for m in milestones}
    title = milestones[0].assignment.measure.plan.title
    session.commit()
    client = client_factory().login("ip_user")

    with milestone_selects() as selects:
        page = client.get("/inbox")
    assert page.status_code == 200
    assert len([s for s in selects if s.startswith("select milestones.id")]) == 1, selects
    assert [int(i) for i in ITEM.findall(page.text)] == sorted(texts)
    assert "共 3 件" in page.text and title in page.text and "全部签收（3 件）" in page.text
    for assignment_id, text in texts.items():
        assert f'href="/assignments/{assignment_id}">{text}</a>' in page.text
    assert "已办结（销号）" in page.text  # the approved measure's only checkpoint closed the item
    done = client.get("/inbox?status=done").text
    assert [int(i) for i in ITEM.findall(done)] == [milestones[1].assignment_id]
    # Another department's items never show.
    dev = {m.assignment_id for m in milestones_of(session, world, "dev")}
    assert not dev & {int(i) for i in ITEM.findall(client.get("/inbox").text)}


def test_review_queue_shows_each_latest_report_selecting_milestones_and_reports_once(session, client_factory):
    world = build_world(session, measures=3)
    milestones = milestones_of(session, world, "ip")
    department, office = world.actor(session, "ip_user"), world.actor(session, "city_admin")
    for n, milestone in enumerate(milestones):
        workflow.submit_report(session, department, milestone.id, text=f"第1稿{n}", percent=100, now=NOW)
        workflow.review(session, office, milestone.id, decision="return", comment="请补充", now=NOW)
        workflow.submit_report(session, department, milestone.id, text=f"第2稿{n}", percent=100, now=NOW)
    session.commit()
    reports: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split()).lower()
        if flat.startswith("select") and "from reports" in flat:
            reports.append(flat)

    client = client_factory().login("city_admin")
    with milestone_selects() as selects:
        event.listen(Engine, "before_cursor_execute", note)
        try:
            page = client.get("/reviews").text
        finally:
            event.remove(Engine, "before_cursor_execute", note)
    # The latest 办结申请 in full, the one before folded with the reason it was returned.
    assert all(f"第2稿{n}" in page and f"第1稿{n}" in page for n in range(len(milestones)))
    assert page.count("退回意见：</b>请补充") == len(milestones)
    rows = [s for s in selects if s.startswith("select milestones.id")]  # not the extension list's subquery
    assert len(rows) == 1 and len(reports) == 1, (rows, reports)
