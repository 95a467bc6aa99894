"""督办通报 and 督办单 as the office's documents.

The bulletin's figures are worked out once (`build_bulletin`) for the page, the
.xlsx and the .docx; `snapshot` turns them into the plain rows a document shows,
which an issued bulletin keeps (JSON) beside the bytes it was issued as.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import docx
from service.audit.service import record
from service.auth.actor import Actor
from service.bulletins.models import (
    BLUE,
    DRAFT,
    ISSUED,
    NOTICE_COLOURS,
    NOTICE_REASONS,
    RED,
    YELLOW,
    BulletinDocument,
    SupervisionNotice,
)
from service.database import lock_for_change
from service.departments.models import Department
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.indicators import service as indicators
from service.milestones import stats
from service.milestones.assignments import WorkItem
from service.milestones.models import (
    APPROVED,
    EXTENSION_APPROVED,
    RETURNED,
    ExtensionRequest,
    Milestone,
)
from service.offices.models import Office
from service.plans.models import Assignment, Measure, Phase, Plan, Task
from service.plans.service import get_plan

TEXT_LIMIT = 20_000
# A unit "doing well": nothing overdue and at least this share of its due checkpoints on time.
GOOD_RATE = 0.9


@dataclass
class Bulletin:
    plan: Plan
    period: str  # YYYY-MM
    as_of: date
    completion: stats.Completion
    counts: dict[str, int]
    approved_in_period: int
    ranking: list[stats.DepartmentRank]
    overdue: list[stats.Overdue]
    names: dict[int, str]


def _period(month: str | None, today: date) -> tuple[str, date, date]:
    try:
        year, number = (int(x) for x in (month or f"{today:%Y-%m}").split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise Invalid("期次应为 YYYY-MM，例如 2018-03") from None
    last = date(year, number, month_calendar.monthrange(year, number)[1])
    return f"{first:%Y-%m}", first, min(last, today)


def build_bulletin(session: Session, actor: Actor, plan_id: int, month: str | None, today: date, tz) -> Bulletin:
    if actor.is_department:
        raise Forbidden("督办通报由领导小组办公室发布，单位用户请在待办中查看本单位事项")
    plan = get_plan(session, actor, plan_id)
    period, first, as_of = _period(month, today)
    facts = stats.as_of(stats.milestone_facts(session, actor, plan_id=plan.id), as_of, tz)
    approved_in_period = sum(
        1 for f in facts if f.approved_at and first <= f.approved_at.astimezone(tz).date() <= as_of
    )
    return Bulletin(
        plan=plan,
        period=period,
        as_of=as_of,
        completion=stats.plan_completion(facts).get(plan.id, stats.Completion(0, 0)),
        counts=stats.light_counts(facts, as_of),
        approved_in_period=approved_in_period,
        ranking=stats.department_ranking(facts, as_of, tz),
        overdue=stats.overdue_list(facts, as_of),
        names=dict(session.execute(
            select(Department.id, Department.name).where(Department.office_id.in_(actor.readable_office_ids))
        ).all()),
    )


def cn_date(day: date | None) -> str:
    """2026年11月2日: how pages and documents write a date."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


def _item_label(number: str | None, text: str) -> str:
    return f"任务{number}：{text}" if number else text


def _milestone_rows(session: Session, condition) -> list:
    """Unit, item and checkpoint of the plan's milestones matching `condition`."""
    return session.execute(
        select(Milestone.id, Milestone.department_id, Milestone.due_date, Task.number, Measure.text, Phase.name)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .outerjoin(Task, Task.id == Measure.task_id)
        .outerjoin(Phase, Phase.id == Milestone.phase_id)
        .where(condition)
        .order_by(Milestone.department_id, Milestone.due_date, Milestone.id)
    ).all()


def snapshot(session: Session, actor: Actor, b: Bulletin, tz) -> dict:
    """The bulletin as the plain rows its document shows (what an issued one keeps)."""
    plan = b.plan
    name = b.names.get
    overdue_rows = {r.id: r for r in _milestone_rows(session, Milestone.id.in_([o.fact.id for o in b.overdue]))}
    first = date(int(b.period[:4]), int(b.period[5:]), 1)
    start = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(b.as_of + timedelta(days=1), datetime.min.time(), tz)
    extended = session.execute(
        select(ExtensionRequest, Milestone.department_id, Measure.text, Task.number)
        .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .outerjoin(Task, Task.id == Measure.task_id)
        .where(Milestone.plan_id == plan.id, ExtensionRequest.status == EXTENSION_APPROVED,
               ExtensionRequest.decided_at >= start, ExtensionRequest.decided_at < end)
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    ).all()
    # Per unit, not per item: right after a plan starts every item is unsigned.
    unsigned = session.execute(
        select(Assignment.department_id, func.count())
        .join(Measure, Measure.id == Assignment.measure_id)
        .where(Measure.plan_id == plan.id, Assignment.signed_at.is_(None),
               # An item all of whose checkpoints are closed owes no signature any more.
               select(Milestone.id).where(Milestone.assignment_id == Assignment.id, Milestone.state != APPROVED).exists())
        .group_by(Assignment.department_id)
    ).all()
    returned = _milestone_rows(session, (Milestone.plan_id == plan.id) & (Milestone.state == RETURNED))
    _, plan_indicators = indicators.list_indicators(session, actor, plan.id)
    indicator_rows = []
    for status in indicators.statuses(session, plan, plan_indicators):
        i = status.indicator
        indicator_rows.append({
            "name": i.name,
            "target": indicators.target_text(i),
            "actual": f"{indicators.figure(status.latest.value)}{i.unit}" if status.latest else "—",
            "as_of": cn_date(status.latest.as_of) if status.latest else "",
            "progress": "—" if status.progress is None else f"{round(status.progress * 100)}%",
            "status": indicators.light_of(status)[1],
            "unit": name(i.department_id, "未指定"),
        })
    ranking = [
        {"rank": n, "unit": name(r.department_id, ""), "rate": rate_text(r.on_time_rate), "overdue": r.overdue,
         "approved": r.approved, "total": r.total}
        for n, r in enumerate(b.ranking, start=1)
    ]
    return {
        "plan_title": plan.title,
        "doc_number": plan.doc_number or "",
        "period": b.period,
        "period_label": f"{first.year}年{first.month}月",
        "as_of": cn_date(b.as_of),
        "completion": {"total": b.completion.total, "approved": b.completion.approved, "percent": b.completion.percent},
        "approved_in_period": b.approved_in_period,
        "overdue_count": len(b.overdue),
        "counts": dict(b.counts),
        "ranking": ranking,
        "good_units": [name(r.department_id, "") for r in b.ranking
                       if r.overdue == 0 and r.on_time_rate is not None and r.on_time_rate >= GOOD_RATE],
        "behind_units": [{"unit": name(r.department_id, ""), "overdue": r.overdue}
                         for r in sorted(b.ranking, key=lambda r: -r.overdue) if r.overdue],
        "overdue": [
            {"unit": name(o.fact.department_id, ""),
             "item": _item_label(overdue_rows[o.fact.id].number, overdue_rows[o.fact.id].text),
             "phase": overdue_rows[o.fact.id].name or "措施时限", "due": cn_date(o.fact.due_date), "days_late": o.days_late}
            for o in b.overdue
        ],
        "unsigned": sorted(({"unit": name(department_id, ""), "count": count} for department_id, count in unsigned),
                           key=lambda r: (-r["count"], r["unit"])),
        "returned": [{"unit": name(r.department_id, ""), "item": _item_label(r.number, r.text), "phase": r.name or "措施时限"}
                     for r in returned],
        "extended": [{"unit": name(department_id, ""), "item": _item_label(number, text),
                      "from": cn_date(e.current_due_date), "to": cn_date(e.new_due_date)}
                     for e, department_id, text, number in extended],
        "indicators": indicator_rows,
    }


def overall_text(s: dict) -> str:
    c = s["completion"]
    return (
        f"截至{s['as_of']}，本计划共有 {c['total']} 个节点，已办结 {c['approved']} 个，完成度 {c['percent']}%；"
        f"本期办结 {s['approved_in_period']} 个；逾期未办结 {s['overdue_count']} 个。"
    )


# --- the document ---------------------------------------------------------------


def bulletin_docx(s: dict, *, office_name: str, number: int | None, year: int | None, issued_on: date | None,
                  narrative: str, next_steps: str) -> bytes:
    """The 督办通报 in the usual layout: masthead, 第N期, issuing office and date, then
    overall progress, units doing well, what is behind, indicators and next steps."""
    d = docx.new_document()
    docx.title(d, "督 办 通 报", size=docx.Pt(36), colour=docx.RGBColor(0xC0, 0, 0))
    docx.paragraph(d, f"{year}年第{number}期" if number else "（未印发稿，期号印发时编定）", indent=False, align="center")
    # Office and date share a line: 14 pt keeps a long office name and the date on it.
    docx.paragraph(d, f"{office_name}　　{cn_date(issued_on) if issued_on else ''}", indent=False, align="center",
                   size=docx.Pt(14))
    docx.title(d, f"关于《{s['plan_title']}》{s['period_label']}推进情况的通报", size=docx.Pt(18))
    docx.heading(d, "一、总体进展")
    docx.paragraph(d, overall_text(s))
    if narrative.strip():
        docx.paragraph(d, narrative.strip())
    docx.heading(d, "二、工作较好的单位")
    docx.paragraph(d, ("、".join(s["good_units"]) + "等单位无逾期事项，按时完成率较高，予以通报表扬。")
                   if s["good_units"] else "本期暂无按时完成率达到要求且无逾期事项的单位。")
    docx.table(d, ["排名", "单位", "按时完成率", "逾期", "已办结/总数"],
               [[r["rank"], r["unit"], r["rate"], r["overdue"], f"{r['approved']}/{r['total']}"] for r in s["ranking"]],
               widths_cm=(1.5, 6, 3, 1.8, 3))
    docx.heading(d, "三、进度滞后的单位和事项")
    docx.paragraph(d, ("、".join(f"{u['unit']}（逾期 {u['overdue']} 项）" for u in s["behind_units"]) + "存在逾期未办结事项。")
                   if s["behind_units"] else "本期无逾期未办结事项。")
    sections = (
        ("（一）逾期未办结事项", "overdue", ["单位", "事项", "节点", "完成时限", "逾期"], (3, 5.4, 2.2, 3, 2),
         lambda r: [r["unit"], r["item"], r["phase"], r["due"], f"{r['days_late']} 天"]),
        ("（二）尚未签收事项", "unsigned", ["单位", "未签收"], (9, 6.6), lambda r: [r["unit"], f"{r['count']} 项"]),
        ("（三）被退回事项", "returned", ["单位", "事项", "节点"], (3.5, 9, 3.1), lambda r: [r["unit"], r["item"], r["phase"]]),
        ("（四）本期批准延期事项", "extended", ["单位", "事项", "原时限", "延至"], (3, 6.6, 3, 3),
         lambda r: [r["unit"], r["item"], r["from"], r["to"]]),
    )
    for caption, key, header, widths, row in sections:
        count = sum(r["count"] for r in s[key]) if key == "unsigned" else len(s[key])
        docx.paragraph(d, f"{caption}：{count} 项", bold=True)
        if s[key]:
            docx.table(d, header, [row(r) for r in s[key]], widths_cm=widths)
    docx.heading(d, "四、指标完成情况")
    if s["indicators"]:
        docx.table(d, ["指标", "目标", "最新实际", "进度", "状态", "责任单位"],
                   [[i["name"], i["target"], i["actual"], i["progress"], i["status"], i["unit"]] for i in s["indicators"]],
                   widths_cm=(4, 2.8, 2.4, 1.6, 2.2, 2.6))
    else:
        docx.paragraph(d, "本计划未设置量化指标。")
    docx.heading(d, "五、下一步工作")
    docx.paragraph(d, next_steps.strip() or "（由办公室填写）")
    docx.paragraph(d, "", indent=False)
    docx.paragraph(d, office_name, indent=False, align="right")
    docx.paragraph(d, cn_date(issued_on) if issued_on else "", indent=False, align="right")
    return docx.document_bytes(d)


# --- drafts and issuing ---------------------------------------------------------


def office_name(session: Session, office_id: int) -> str:
    return session.get(Office, office_id).name


def get_document(session: Session, actor: Actor, document_id: int) -> BulletinDocument:
    found = session.get(BulletinDocument, document_id)
    if found is None or actor.is_department or found.office_id not in actor.readable_office_ids:
        raise NotFound(f"督办通报 {document_id} 不存在")
    return found


def documents_of(session: Session, actor: Actor, plan_id: int) -> list[BulletinDocument]:
    plan = get_plan(session, actor, plan_id)
    return list(session.scalars(
        select(BulletinDocument).where(BulletinDocument.plan_id == plan.id)
        .order_by(BulletinDocument.status, BulletinDocument.year.desc(), BulletinDocument.number.desc(),
                  BulletinDocument.id.desc())
    ))


def _text(value: object, what: str) -> str:
    text = str(value or "").strip()
    if len(text) > TEXT_LIMIT:
        raise Invalid(f"{what}不能超过 {TEXT_LIMIT} 字")
    return text


def create_draft(session: Session, actor: Actor, plan_id: int, month: str | None, *, today: date, tz,
                 now: datetime) -> BulletinDocument:
    """The draft of a plan's bulletin for a month: the existing one if there is one."""
    b = build_bulletin(session, actor, plan_id, month, today, tz)
    actor.require_admin_of(b.plan.office_id)
    existing = session.scalars(select(BulletinDocument).where(
        BulletinDocument.plan_id == b.plan.id, BulletinDocument.period == b.period, BulletinDocument.status == DRAFT
    )).first()
    if existing is not None:
        return existing
    draft = BulletinDocument(office_id=b.plan.office_id, plan_id=b.plan.id, period=b.period, status=DRAFT,
                             narrative="", next_steps="", created_by=actor.user_id, created_at=now)
    session.add(draft)
    session.flush()
    record(session, actor, "bulletin.draft", "bulletin", draft.id, after={"plan_id": b.plan.id, "period": b.period},
           now=now)
    return draft


def _own_draft(session: Session, actor: Actor, document_id: int) -> BulletinDocument:
    document = get_document(session, actor, document_id)
    actor.require_admin_of(document.office_id)
    document = lock_for_change(session, BulletinDocument, document.id)
    if document.status != DRAFT:
        raise Conflict(f"该通报已印发为{document.year}年第{document.number}期，不能再修改")
    return document


def update_draft(session: Session, actor: Actor, document_id: int, *, narrative: object, next_steps: object,
                 now: datetime) -> BulletinDocument:
    narrative, next_steps = _text(narrative, "总体情况说明"), _text(next_steps, "下一步工作")
    document = _own_draft(session, actor, document_id)
    before = {"narrative": document.narrative, "next_steps": document.next_steps}
    document.narrative, document.next_steps = narrative, next_steps
    record(session, actor, "bulletin.edit", "bulletin", document.id, before=before,
           after={"narrative": narrative, "next_steps": next_steps}, now=now)
    return document


def draft_figures(session: Session, actor: Actor, document: BulletinDocument, *, today: date, tz) -> dict:
    """A draft's figures as of now; an issued bulletin's as they were issued."""
    if document.status == ISSUED:
        return document.figures
    return snapshot(session, actor, build_bulletin(session, actor, document.plan_id, document.period, today, tz), tz)


def next_number(session: Session, office_id: int, year: int) -> int:
    return (session.scalar(select(func.max(BulletinDocument.number)).where(
        BulletinDocument.office_id == office_id, BulletinDocument.year == year)) or 0) + 1


def issue(session: Session, actor: Actor, document_id: int, *, today: date, tz, now: datetime) -> BulletinDocument:
    """Number the draft (第N期 of the office's year), freeze its figures and store the .docx.

    The office row's lock serialises numbering within an office, so concurrent
    issues take consecutive numbers; the unique key is the last guard."""
    document = _own_draft(session, actor, document_id)
    lock_for_change(session, Office, document.office_id)
    figures = draft_figures(session, actor, document, today=today, tz=tz)
    number = next_number(session, document.office_id, today.year)
    document.status, document.year, document.number, document.issued_on = ISSUED, today.year, number, today
    document.figures = figures
    document.document = bulletin_docx(
        figures, office_name=office_name(session, document.office_id), number=number, year=today.year,
        issued_on=today, narrative=document.narrative, next_steps=document.next_steps,
    )
    document.issued_by, document.issued_at = actor.user_id, now
    session.flush()
    record(session, actor, "bulletin.issue", "bulletin", document.id,
           after={"year": today.year, "number": number, "plan_id": document.plan_id, "period": document.period}, now=now)
    return document


def filename(plan_title: str, label: str, suffix: str) -> str:
    """A download's name: the plan's title and the period, without characters file systems refuse."""
    safe = "".join("_" if c in '\\/:*?"<>|\r\n\t' else c for c in plan_title)[:80]
    return f"{safe}-{label}.{suffix}"


# --- 三色督办单 ----------------------------------------------------------------


def propose_colour(item: WorkItem, today: date) -> str:
    """Red when the current checkpoint is overdue; yellow when returned or its
    progress was sent back for more; otherwise blue (the deadline is near)."""
    current = item.current
    if current is None:
        raise Conflict("该督办件已全部办结，无需开具督办单")
    if current.due_date < today:
        return RED
    if current.state == RETURNED or (item.latest_progress is not None and item.latest_progress.review == "more"):
        return YELLOW
    return BLUE


DEFAULT_REQUIREMENTS = {
    BLUE: "该事项临近完成时限，请抓紧推进，确保按期完成，并于反馈时限前报送办理进展。",
    YELLOW: "该事项进度滞后或办结申请被退回，请认真分析原因、落实整改措施，并于反馈时限前报送整改情况。",
    RED: "该事项已超过完成时限，请主要负责同志亲自过问、立即整改，并于反馈时限前书面报送办理情况及逾期原因。",
}
ANSWER_WORKDAYS = 3  # the reply date offered: this many workdays from today


def notice_colour(value: object) -> str:
    if value not in NOTICE_COLOURS:
        raise Invalid("督办单颜色必须是 蓝色、黄色 或 红色")
    return str(value)


def notice_fields(session: Session, item: WorkItem, *, colour: str, requirement: object, answer_by: object,
                  today: date) -> dict:
    """What a 督办单 shows, checked: the office's requirement and a reply date not in the past."""
    colour = notice_colour(colour)
    requirement = _text(requirement, "督办要求")
    if not requirement:
        raise Invalid("请填写督办要求")
    try:
        reply = answer_by if isinstance(answer_by, date) else date.fromisoformat(str(answer_by or "").strip())
    except ValueError:
        raise Invalid("请填写反馈时限（日期）") from None
    if reply < today:
        raise Invalid("反馈时限不能早于今天")
    current = item.current
    if current is None:
        raise Conflict("该督办件已全部办结，无需开具督办单")
    assignment = item.assignment
    measure = assignment.measure
    plan = measure.plan
    unit = session.get(Department, assignment.department_id)
    days_late = (today - current.due_date).days
    return {
        "colour": colour,
        "colour_label": NOTICE_COLOURS[colour],
        "reason": NOTICE_REASONS[colour],
        "office": office_name(session, plan.office_id),
        "plan_title": plan.title,
        "item": _item_label(measure.task.number if measure.task else None, measure.text),
        "unit": unit.name,
        "phase": current.phase.name if current.phase else "措施时限",
        "deadline": cn_date(current.due_date),
        "status": (f"已逾期 {days_late} 天" if days_late > 0
                   else "已被退回" if current.state == RETURNED else f"距时限 {-days_late} 天"),
        "requirement": requirement,
        "answer_by": cn_date(reply),
        "answer_by_iso": reply.isoformat(),
        "issued_on": cn_date(today),
    }


NOTICE_INK = {BLUE: docx.RGBColor(0x1F, 0x4E, 0xA8), YELLOW: docx.RGBColor(0xB8, 0x86, 0x0B), RED: docx.RGBColor(0xC0, 0, 0)}


def notice_docx(f: dict, number: int) -> bytes:
    """One page: the coloured title, the item's facts in a table, the office's requirement."""
    d = docx.new_document()
    docx.title(d, f"督 办 单（{f['colour_label']}）", size=docx.Pt(26), colour=NOTICE_INK[f["colour"]])
    docx.paragraph(d, f"督办单编号：{number}　　签发日期：{f['issued_on']}", indent=False, align="center", size=docx.Pt(12))
    docx.table(d, ["项目", "内容"], [
        ["督办事由", f["reason"]],
        ["承办单位", f["unit"]],
        ["所属计划", f["plan_title"]],
        ["督办事项", f["item"]],
        ["当前节点", f["phase"]],
        ["完成时限", f"{f['deadline']}（{f['status']}）"],
        ["督办要求", f["requirement"]],
        ["反馈时限", f"请于{f['answer_by']}前反馈办理情况"],
    ], widths_cm=(3.2, 12.4), size=docx.Pt(15))
    docx.paragraph(d, "", indent=False)
    docx.paragraph(d, f["office"], indent=False, align="right")
    docx.paragraph(d, f["issued_on"], indent=False, align="right")
    return docx.document_bytes(d)


def record_notice(session: Session, actor: Actor, item: WorkItem, fields: dict, *, sent: bool,
                  now: datetime) -> SupervisionNotice:
    """Store the issued 督办单 (its bytes as issued) and note it in the item's audit history."""
    assignment = item.assignment
    notice = SupervisionNotice(
        office_id=assignment.measure.plan.office_id, assignment_id=assignment.id, milestone_id=item.current.id,
        department_id=assignment.department_id, colour=fields["colour"], requirement=fields["requirement"],
        answer_by=date.fromisoformat(fields["answer_by_iso"]), sent=sent, fields=fields, document=b"",
        issued_by=actor.user_id, issued_at=now,
    )
    session.add(notice)
    session.flush()
    notice.document = notice_docx(fields, notice.id)
    record(session, actor, "assignment.supervision_notice", "assignment", assignment.id,
           after={"notice_id": notice.id, "colour": fields["colour"], "answer_by": fields["answer_by_iso"],
                  "milestone_id": item.current.id, "sent": sent}, now=now)
    return notice


def get_notice(session: Session, actor: Actor, notice_id: int) -> SupervisionNotice:
    """A unit reads only its own 督办单; an office those of the offices it reads."""
    notice = session.get(SupervisionNotice, notice_id)
    if (notice is None or notice.office_id not in actor.readable_office_ids
            or (actor.department_id is not None and notice.department_id != actor.department_id)):
        raise NotFound(f"督办单 {notice_id} 不存在")
    return notice


def notices_of(session: Session, assignment_id: int) -> list[SupervisionNotice]:
    """The 督办单 of an item the caller already may read, newest first."""
    return list(session.scalars(
        select(SupervisionNotice).where(SupervisionNotice.assignment_id == assignment_id)
        .order_by(SupervisionNotice.id.desc())
    ))


def issued_file(session: Session, document: BulletinDocument) -> tuple[bytes, str]:
    """The issued bulletin's bytes as issued, named after the plan's title and the period."""
    if document.status != ISSUED:
        raise Conflict("通报尚未印发，请在预览页面查看草稿")
    title = session.get(Plan, document.plan_id).title
    return document.document, filename(title, f"督办通报{document.year}年第{document.number}期", "docx")


def notice_filename(notice: SupervisionNotice) -> str:
    return f"督办单{notice.id}-{notice.fields['unit']}-{notice.fields['colour_label']}.docx"
