"""考核: schemes as data, and scoring each unit over a period from what Duban recorded.

Every computed item is a plain function of one unit's records (`UnitRecords`) and
the period (`Period`), answering a `Line`: the points, a summary and the records it
counted (which items, how many workdays late), so each score explains itself.
A draft result is recomputed on demand; publishing freezes the stored lines, and a
published score changes only through a recorded correction.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assessment.models import (
    RESULT_DRAFT,
    RESULT_PUBLISHED,
    AssessmentCorrection,
    AssessmentResult,
    AssessmentScheme,
    AssessmentScore,
)
from service.audit.service import record
from service.auth.actor import Actor
from service.database import lock_for_change
from service.departments.models import Department
from service.errors import Conflict, Invalid, NotFound
from service.ids import MAX_ID
from service.indicators.models import Indicator, IndicatorReading
from service.indicators.service import progress_of
from service.milestones.assignments import cycle_window
from service.milestones.models import (
    APPROVED,
    EXTENSION_APPROVED,
    REVIEW_RETURN,
    SUBMITTED,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Review,
)
from service.plans.models import CYCLE_NONE, PLAN_DRAFT, REPORTING_CYCLES, Assignment, Measure, Plan, Task
from service.plans.parser import COMPARISON_LABELS
from service.reminders.policy import Unacknowledged
from service.reminders.service import policies_for
from service.workdays import WorkdayCalendar

CENT = Decimal("0.01")
ZERO = Decimal(0)
DEFAULT_TOTAL = Decimal(100)
DEFAULT_GRADES = [["优秀", "90"], ["良好", "80"], ["合格", "60"], ["不合格", "0"]]
NAME_MAX = 200
REASON_MAX = 2000
PERIOD_MAX_DAYS = 3 * 366


def points(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def show(value: Decimal) -> str:
    """Points as people write them: 10, 8.5, 8.33."""
    text = f"{Decimal(value).quantize(CENT, ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the records of one unit --------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    as_of: date  # records are judged up to this day (the period's end, or today if earlier)
    calendar: WorkdayCalendar
    # The last day that is over: a deadline on a later day (today) is not missed yet.
    settled: date

    def late_by(self, due: date, done: date) -> int:
        return max(0, self.calendar.workdays_between(due, done))


@dataclass(frozen=True)
class ItemFact:
    """An assignment (督办件) of the unit."""

    id: int
    title: str  # how the item is named in explanations
    mandatory: bool
    sign_by: date  # the 未签收提醒's day: the signing deadline
    signed: date | None
    cycle: str
    cycle_day: int | None
    issued: date


@dataclass(frozen=True)
class CheckpointFact:
    id: int
    item_id: int
    due: date
    state: str
    submitted: date | None
    approved: date | None


@dataclass
class UnitRecords:
    items: list[ItemFact] = field(default_factory=list)
    checkpoints: list[CheckpointFact] = field(default_factory=list)
    reports: dict[int, list[date]] = field(default_factory=dict)  # item id -> local dates of progress reports
    returns: list[tuple[int, date]] = field(default_factory=list)  # (checkpoint id, local date)
    extensions: list[tuple[int, date, date, date]] = field(default_factory=list)  # (checkpoint, decided, from, to)
    indicators: list[tuple[Indicator, IndicatorReading | None]] = field(default_factory=list)

    def title_of(self, item_id: int) -> str:
        return next((i.title for i in self.items if i.id == item_id), "")

    def checkpoint(self, checkpoint_id: int) -> CheckpointFact:
        return next(c for c in self.checkpoints if c.id == checkpoint_id)


@dataclass
class Line:
    points: Decimal
    summary: str
    records: list[str] = field(default_factory=list)


# --- computed items -------------------------------------------------------------


def _ratio(weight: Decimal, good: int, total: int) -> Decimal:
    """weight × good / total; nothing to judge earns the full weight."""
    return points(weight * good / total) if total else points(weight)


def _capped(weight: Decimal, deduction: Decimal) -> Decimal:
    return points(weight - min(weight, deduction))


def score_signing(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    due = [i for i in r.items if p.start <= i.sign_by <= p.as_of and (i.sign_by <= p.settled or i.signed)]
    late = []
    for i in due:
        if i.signed is None:
            late.append(f"{i.title}：签收时限{cn(i.sign_by)}，至{cn(p.as_of)}未签收，"
                        f"迟{p.late_by(i.sign_by, p.as_of)}个工作日")
        elif i.signed > i.sign_by:
            late.append(f"{i.title}：签收时限{cn(i.sign_by)}，{cn(i.signed)}签收，迟{p.late_by(i.sign_by, i.signed)}个工作日")
    on_time = len(due) - len(late)
    return Line(_ratio(weight, on_time, len(due)), f"应签收{len(due)}件，按时签收{on_time}件", late)


def reporting_periods(item: ItemFact, p: Period) -> list[tuple[date, date]]:
    """The item's reporting periods (per its plan's cycle) that ended within the period
    and after the item was issued: the ones it owed a progress report for."""
    owed = []
    window = cycle_window(item.cycle, item.cycle_day, max(p.start, item.issued))
    while window is not None and window[1] <= p.as_of:
        if window[1] >= p.start:
            owed.append(window)
        window = cycle_window(item.cycle, item.cycle_day, window[1] + timedelta(days=1))
    return owed


def score_reporting(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    owed = reported = 0
    missed = []
    for item in r.items:
        if item.cycle == CYCLE_NONE:
            continue
        checkpoints = [c for c in r.checkpoints if c.item_id == item.id]
        for start, end in reporting_periods(item, p):
            # An item closed before the period began owes no more reports.
            if checkpoints and all(c.approved is not None and c.approved < start for c in checkpoints):
                continue
            if any(start <= d <= end for d in r.reports.get(item.id, [])):
                reported += 1
            elif end > p.settled:
                continue  # the period's last day is today: still time to report
            else:
                missed.append(f"{item.title}：{cn(start)}至{cn(end)}（{REPORTING_CYCLES[item.cycle]}报送）未报送进展")
            owed += 1
    return Line(_ratio(weight, reported, owed), f"应报送{owed}期，按时报送{reported}期", missed)


def _judged(r: UnitRecords, p: Period) -> list[CheckpointFact]:
    """The checkpoints that fell due in the period, up to the day judged (one due today
    only once closed: until the day is over it is not late)."""
    return [c for c in r.checkpoints if p.start <= c.due <= p.as_of and (c.due <= p.settled or c.state == APPROVED)]


def _done_day(c: CheckpointFact, p: Period) -> date:
    """When the unit did its part: its report's day if it stands, else still owed at `as_of`."""
    return c.submitted if c.state in (SUBMITTED, APPROVED) and c.submitted else p.as_of


def score_checkpoints(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    due = _judged(r, p)
    late = []
    for c in due:
        if not (c.state == APPROVED and c.submitted is not None and c.submitted <= c.due):
            done = _done_day(c, p)
            how = f"{cn(done)}报送办结" if c.state in (SUBMITTED, APPROVED) else f"至{cn(p.as_of)}未办结"
            late.append(f"{r.title_of(c.item_id)}：时限{cn(c.due)}，{how}，迟{p.late_by(c.due, done)}个工作日")
    on_time = len(due) - len(late)
    return Line(_ratio(weight, on_time, len(due)), f"到期节点{len(due)}个，按时办结{on_time}个", late)


def score_overdue(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    per_item, per_day = Decimal(str(params["per_item"])), Decimal(str(params["per_workday"]))
    deduction = ZERO
    lines = []
    for c in _judged(r, p):
        days = p.late_by(c.due, _done_day(c, p))
        if days:
            cut = per_item + per_day * days
            deduction += cut
            lines.append(f"{r.title_of(c.item_id)}：时限{cn(c.due)}，逾期{days}个工作日，"
                         f"扣{show(per_item)}+{show(per_day)}×{days}={show(cut)}分")
    summary = f"逾期节点{len(lines)}个，共扣{show(min(weight, deduction))}分"
    if deduction > weight:
        summary += f"（应扣{show(deduction)}分，以本项分值为限）"
    return Line(_capped(weight, deduction), summary, lines)


def score_returns(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    each = Decimal(str(params["per_return"]))
    counted = [(cid, day) for cid, day in r.returns if p.start <= day <= p.end]
    lines = [f"{r.title_of(r.checkpoint(cid).item_id)}：{cn(day)}被退回，扣{show(each)}分" for cid, day in counted]
    deduction = each * len(counted)
    return Line(_capped(weight, deduction), f"被退回{len(counted)}次，共扣{show(min(weight, deduction))}分", lines)


def score_extensions(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    each = Decimal(str(params["per_extension"]))
    counted = [e for e in r.extensions if p.start <= e[1] <= p.end]
    lines = [
        f"{r.title_of(r.checkpoint(cid).item_id)}：{cn(decided)}批准延期，时限由{cn(old)}延至{cn(new)}，扣{show(each)}分"
        for cid, decided, old, new in counted
    ]
    deduction = each * len(counted)
    return Line(_capped(weight, deduction), f"批准延期{len(counted)}次，共扣{show(min(weight, deduction))}分", lines)


def score_mandatory(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    mandatory = {i.id for i in r.items if i.mandatory}
    due = [c for c in _judged(r, p) if c.item_id in mandatory]
    if not mandatory:
        return Line(points(weight), "计划未标注本单位的必做任务，本项按满分计")
    undone = [f"{r.title_of(c.item_id)}：时限{cn(c.due)}，未办结" for c in due
              if not (c.state == APPROVED and c.approved is not None and c.approved <= p.as_of)]
    done = len(due) - len(undone)
    return Line(_ratio(weight, done, len(due)), f"必做任务到期节点{len(due)}个，已办结{done}个", undone)


def score_indicators(r: UnitRecords, p: Period, weight: Decimal, params: dict) -> Line:
    judged = [(i, reading) for i, reading in r.indicators if i.target_date is None or p.start <= i.target_date <= p.end]
    lines = []
    reached = 0
    for indicator, reading in judged:
        target = f"{COMPARISON_LABELS[indicator.comparison]}{show(indicator.target_value)}{indicator.unit}"
        if reading is None:
            lines.append(f"{indicator.name}：目标{target}，未报送实际值，未达成")
            continue
        met = progress_of(indicator, reading.value)[1]
        reached += met
        lines.append(f"{indicator.name}：目标{target}，{cn(reading.as_of)}实际{show(reading.value)}{indicator.unit}，"
                     f"{'已达成' if met else '未达成'}")
    return Line(_ratio(weight, reached, len(judged)), f"考核指标{len(judged)}项，达成{reached}项", lines)


@dataclass(frozen=True)
class Kind:
    label: str
    explain: str
    score: Callable[[UnitRecords, Period, Decimal, dict], Line] | None = None  # None: entered by the office
    params: dict = field(default_factory=dict)  # name -> (label, default)
    bonus: bool = False


KINDS: dict[str, Kind] = {
    "signing": Kind("按时签收率", "签收时限按催办规则的未签收提醒日计，得分=分值×按时签收件数÷应签收件数", score_signing),
    "reporting": Kind("按时报送进展", "按计划的报送周期，每期应报送一次进展，得分=分值×按时报送期数÷应报送期数", score_reporting),
    "checkpoints": Kind("节点按时办结", "办结申请在时限内报送并获审核通过为按时，得分=分值×按时节点数÷到期节点数", score_checkpoints),
    "overdue": Kind("逾期扣分", "每个逾期节点扣分，另按逾期工作日数扣分，扣完本项分值为止", score_overdue,
                    {"per_item": ("每个逾期节点扣分", "1"), "per_workday": ("每逾期一个工作日扣分", "0.2")}),
    "returns": Kind("退回扣分", "办结申请每被退回一次扣分，扣完本项分值为止", score_returns,
                    {"per_return": ("每次退回扣分", "1")}),
    "mandatory": Kind("必做任务完成", "计划中标注为必做的任务，到期节点的办结比例", score_mandatory),
    "indicators": Kind("指标达成", "本单位负责、目标日期在考核期内（或未定日期）的指标，按最新实际值判断是否达成",
                       score_indicators),
    "extensions": Kind("延期扣分", "每批准一次延期扣分，扣完本项分值为止", score_extensions,
                       {"per_extension": ("每次延期扣分", "0.5")}),
    "bonus": Kind("加分", "由领导小组办公室录入，须写明理由和依据，不超过本项分值", bonus=True),
    "penalty": Kind("扣分", "由领导小组办公室录入，须写明理由和依据，不超过本项分值"),
}
DEFAULT_WEIGHTS = {
    "signing": 10, "reporting": 15, "checkpoints": 30, "overdue": 15, "returns": 5, "mandatory": 0,
    "indicators": 15, "extensions": 5, "bonus": 0, "penalty": 5,
}


def is_entered(kind: str) -> bool:
    return KINDS[kind].score is None


# --- schemes --------------------------------------------------------------------


def _decimal(value: object, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(f"{what}须为数字") from None
    if not number.is_finite() or number < 0 or number > 10000:
        raise Invalid(f"{what}须在0至10000之间")
    if number != number.quantize(CENT):
        raise Invalid(f"{what}最多保留两位小数")
    return number


def check_scheme(values: dict) -> dict:
    """A scheme's fields, checked: items with a known kind, weights summing to the total,
    grades from the highest minimum down."""
    name = str(values.get("name") or "").strip()
    if not name:
        raise Invalid("请填写方案名称", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"方案名称不能超过{NAME_MAX}字", field="name")
    year = values.get("year")
    if year not in (None, ""):
        try:
            year = int(str(year))
        except ValueError:
            raise Invalid("年度须为四位数字", field="year") from None
        if not 2000 <= year <= 2100:
            raise Invalid("年度须在2000至2100之间", field="year")
    else:
        year = None
    total = _decimal(values.get("total") if values.get("total") not in (None, "") else DEFAULT_TOTAL, "总分")
    if total <= 0:
        raise Invalid("总分须大于0", field="total")
    items, keys = [], set()
    for raw in values.get("items") or []:
        kind = str(raw.get("kind") or "")
        if kind not in KINDS:
            raise Invalid(f"未知的考核项类型：{kind}", field="items")
        item_name = str(raw.get("name") or "").strip() or KINDS[kind].label
        weight = _decimal(raw.get("weight"), f"“{item_name}”的分值")
        if weight == 0:
            continue
        key = str(raw.get("key") or kind)
        if key in keys:
            raise Invalid(f"考核项“{item_name}”重复", field="items")
        keys.add(key)
        params = {}
        for param, (label, default) in KINDS[kind].params.items():
            given = (raw.get("params") or {}).get(param)
            params[param] = str(_decimal(given if given not in (None, "") else default, f"“{item_name}”的{label}"))
        items.append({"key": key, "kind": kind, "name": item_name[:NAME_MAX], "weight": str(weight), "params": params})
    if not items:
        raise Invalid("方案至少要有一个分值大于0的考核项", field="items")
    weights = sum(Decimal(i["weight"]) for i in items)
    if weights != total:
        raise Invalid(f"各考核项分值之和为{show(weights)}，须等于总分{show(total)}", field="items")
    grades = []
    for raw_name, raw_min in values.get("grades") or DEFAULT_GRADES:
        grade_name = str(raw_name or "").strip()
        if not grade_name:
            continue
        grades.append([grade_name[:20], str(_decimal(raw_min, f"等次“{grade_name}”的最低分"))])
    if not grades:
        raise Invalid("请至少设定一个等次", field="grades")
    minimums = [Decimal(m) for _, m in grades]
    if minimums != sorted(minimums, reverse=True) or len(set(minimums)) != len(minimums):
        raise Invalid("等次须按最低分从高到低排列，且最低分互不相同", field="grades")
    if minimums[-1] != 0:
        raise Invalid("最后一个等次的最低分须为0，使每个得分都有等次", field="grades")
    if minimums[0] > total:
        raise Invalid("等次的最低分不能高于总分", field="grades")
    return {"name": name, "year": year, "plan_id": values.get("plan_id") or None, "total": total,
            "items": items, "grades": grades}


def default_items() -> list[dict]:
    return [
        {"key": kind, "kind": kind, "name": k.label, "weight": str(DEFAULT_WEIGHTS[kind]),
         "params": {name: default for name, (_, default) in k.params.items()}}
        for kind, k in KINDS.items()
    ]


def _readable_office(actor: Actor, office_id: int) -> bool:
    return office_id == actor.office_id if actor.is_department else office_id in actor.readable_office_ids


def list_schemes(session: Session, actor: Actor) -> list[AssessmentScheme]:
    """The current version of each scheme the actor's office (or chain) keeps."""
    offices = {actor.office_id} if actor.is_department else actor.readable_office_ids
    return list(session.scalars(
        select(AssessmentScheme)
        .where(AssessmentScheme.office_id.in_(offices), AssessmentScheme.superseded.is_(False))
        .order_by(AssessmentScheme.year.desc(), AssessmentScheme.id.desc())
    ))


def get_scheme(session: Session, actor: Actor, scheme_id: int) -> AssessmentScheme:
    scheme = session.get(AssessmentScheme, scheme_id)
    if scheme is None or not _readable_office(actor, scheme.office_id):
        raise NotFound("考核方案不存在")
    return scheme


def _check_plan(session: Session, office_id: int, plan_id: object) -> int | None:
    if plan_id in (None, ""):
        return None
    try:
        number = int(str(plan_id))
    except ValueError:
        number = 0
    plan = session.get(Plan, number) if 1 <= number <= MAX_ID else None
    if plan is None or plan.office_id != office_id:
        raise Invalid("所选计划不存在", field="plan_id")
    return plan.id


def _snapshot(scheme: AssessmentScheme) -> dict:
    return {"name": scheme.name, "year": scheme.year, "plan_id": scheme.plan_id, "total": str(scheme.total),
            "items": scheme.items, "grades": scheme.grades, "version": scheme.version}


def create_scheme(session: Session, actor: Actor, values: dict, *, now: datetime) -> AssessmentScheme:
    actor.require_admin_of(actor.office_id)
    checked = check_scheme(values)
    checked["plan_id"] = _check_plan(session, actor.office_id, checked["plan_id"])
    scheme = AssessmentScheme(office_id=actor.office_id, version=1, created_at=now, updated_at=now, **checked)
    session.add(scheme)
    session.flush()
    record(session, actor, "assessment.scheme_create", "assessment_scheme", scheme.id, after=_snapshot(scheme), now=now)
    return scheme


def scheme_in_use(session: Session, scheme_id: int) -> bool:
    return session.scalar(
        select(AssessmentResult.id).where(AssessmentResult.scheme_id == scheme_id,
                                          AssessmentResult.status == RESULT_PUBLISHED).limit(1)
    ) is not None


def update_scheme(session: Session, actor: Actor, scheme_id: int, values: dict, *, now: datetime) -> AssessmentScheme:
    """Edit a scheme; one a published result was scored under stays as it was and the
    edit becomes its next version (drafts under it move to the new version)."""
    scheme = get_scheme(session, actor, scheme_id)
    actor.require_admin_of(scheme.office_id)
    scheme = lock_for_change(session, AssessmentScheme, scheme.id)
    if scheme.superseded:
        raise Conflict("该方案已有新版本，请修改最新版本")
    checked = check_scheme(values)
    checked["plan_id"] = _check_plan(session, scheme.office_id, checked["plan_id"])
    before = _snapshot(scheme)
    if scheme_in_use(session, scheme.id):
        scheme.superseded = True
        scheme.updated_at = now
        successor = AssessmentScheme(office_id=scheme.office_id, version=scheme.version + 1, previous_id=scheme.id,
                                     created_at=now, updated_at=now, **checked)
        session.add(successor)
        session.flush()
        for draft in session.scalars(select(AssessmentResult).where(
                AssessmentResult.scheme_id == scheme.id, AssessmentResult.status == RESULT_DRAFT)):
            draft.scheme_id = successor.id
        record(session, actor, "assessment.scheme_version", "assessment_scheme", successor.id,
               before=before | {"id": scheme.id}, after=_snapshot(successor), now=now)
        return successor
    for name, value in checked.items():
        setattr(scheme, name, value)
    scheme.updated_at = now
    record(session, actor, "assessment.scheme_update", "assessment_scheme", scheme.id,
           before=before, after=_snapshot(scheme), now=now)
    return scheme


# --- records --------------------------------------------------------------------


def _office_plans(session: Session, scheme: AssessmentScheme) -> list[Plan]:
    query = select(Plan).where(Plan.office_id == scheme.office_id, Plan.status != PLAN_DRAFT,
                               Plan.activated_at.is_not(None))
    if scheme.plan_id is not None:
        query = query.where(Plan.id == scheme.plan_id)
    return list(session.scalars(query.order_by(Plan.id)))


def load_records(session: Session, scheme: AssessmentScheme, calendar: WorkdayCalendar,
                 tz: ZoneInfo) -> dict[int, UnitRecords]:
    """Every unit's records under the scheme's plans, by department id."""
    plans = {p.id: p for p in _office_plans(session, scheme)}
    units: dict[int, UnitRecords] = defaultdict(UnitRecords)
    if not plans:
        return units
    policies = policies_for(session, set(plans))

    def local(instant: datetime | None) -> date | None:
        return instant.astimezone(tz).date() if instant else None

    item_ids: dict[int, int] = {}
    for a, plan_id, measure_text, task_number, mandatory in session.execute(
        select(Assignment, Measure.plan_id, Measure.text, Task.number, Task.mandatory)
        .join(Measure, Measure.id == Assignment.measure_id)
        .outerjoin(Task, Task.id == Measure.task_id)
        .where(Measure.plan_id.in_(list(plans)))
        .order_by(Measure.plan_id, Measure.position, Assignment.id)
    ):
        plan = plans[plan_id]
        issued = local(plan.activated_at)
        unack = policies[plan.id].unacknowledged or Unacknowledged()
        text = measure_text.rstrip("。；;，, ")
        text = text if len(text) <= 40 else text[:40] + "……"
        title = f"《{plan.title}》{task_number + '.' if task_number else ''}{text}"
        units[a.department_id].items.append(ItemFact(
            id=a.id, title=title, mandatory=bool(mandatory),
            sign_by=calendar.add_workdays(issued, unack.after_workdays), signed=local(a.signed_at),
            cycle=plan.reporting_cycle, cycle_day=plan.reporting_day, issued=issued,
        ))
        item_ids[a.id] = a.department_id
    checkpoints: dict[int, int] = {}
    for m in session.scalars(select(Milestone).where(Milestone.plan_id.in_(list(plans))).order_by(Milestone.due_date, Milestone.id)):
        units[m.department_id].checkpoints.append(CheckpointFact(
            m.id, m.assignment_id, m.due_date, m.state, local(m.submitted_at), local(m.approved_at)))
        checkpoints[m.id] = m.department_id
    for assignment_id, created in session.execute(
        select(ProgressReport.assignment_id, ProgressReport.created_at)
        .join(Assignment, Assignment.id == ProgressReport.assignment_id)
        .join(Measure, Measure.id == Assignment.measure_id)
        .where(Measure.plan_id.in_(list(plans)))
    ):
        units[item_ids[assignment_id]].reports.setdefault(assignment_id, []).append(local(created))
    for milestone_id, created in session.execute(
        select(Review.milestone_id, Review.created_at).join(Milestone, Milestone.id == Review.milestone_id)
        .where(Milestone.plan_id.in_(list(plans)), Review.decision == REVIEW_RETURN).order_by(Review.id)
    ):
        units[checkpoints[milestone_id]].returns.append((milestone_id, local(created)))
    for e in session.scalars(
        select(ExtensionRequest).join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
        .where(Milestone.plan_id.in_(list(plans)), ExtensionRequest.status == EXTENSION_APPROVED).order_by(ExtensionRequest.id)
    ):
        units[checkpoints[e.milestone_id]].extensions.append(
            (e.milestone_id, local(e.decided_at), e.current_due_date, e.new_due_date))
    indicators = list(session.scalars(
        select(Indicator).where(Indicator.plan_id.in_(list(plans)), Indicator.department_id.is_not(None))
        .order_by(Indicator.plan_id, Indicator.position)
    ))
    for indicator in indicators:
        units[indicator.department_id].indicators.append((indicator, None))
    return units


def with_readings_until(session: Session, records: dict[int, UnitRecords], end: date) -> None:
    """Each indicator's latest reading as of the period's end (later readings do not count),
    read in one query for all the units' indicators."""
    ids = [indicator.id for unit in records.values() for indicator, _ in unit.indicators]
    latest: dict[int, IndicatorReading] = {}
    for reading in session.scalars(
        select(IndicatorReading)
        .where(IndicatorReading.indicator_id.in_(ids), IndicatorReading.as_of <= end)
        .order_by(IndicatorReading.as_of, IndicatorReading.id)
    ) if ids else ():
        latest[reading.indicator_id] = reading  # ascending: the last one seen is the latest
    for unit in records.values():
        unit.indicators = [(indicator, latest.get(indicator.id)) for indicator, _ in unit.indicators]


# --- scoring --------------------------------------------------------------------


def grade_of(grades: list, total: Decimal) -> str:
    return next((name for name, minimum in grades if total >= Decimal(minimum)), grades[-1][0])


def entered_line(item: dict, amount: Decimal, reason: str, evidence: str) -> dict:
    weight = Decimal(item["weight"])
    bonus = KINDS[item["kind"]].bonus
    got = amount if bonus else weight - amount
    summary = (f"{'加' if bonus else '扣'}{show(amount)}分：{reason}" if amount else
               ("未加分" if bonus else "未扣分"))
    return {"key": item["key"], "kind": item["kind"], "name": item["name"], "weight": item["weight"],
            "points": str(points(got)), "summary": summary, "records": [f"依据：{evidence}"] if evidence else [],
            "entered": str(amount), "reason": reason, "evidence": evidence}


def score_unit(scheme: AssessmentScheme, records: UnitRecords, period: Period, entered: dict[str, dict]) -> list[dict]:
    """Every line of one unit's score; entered items keep what the office entered."""
    lines = []
    for item in scheme.items:
        kind = KINDS[item["kind"]]
        if kind.score is None:
            kept = entered.get(item["key"], {})
            lines.append(entered_line(item, Decimal(kept.get("entered", "0")), kept.get("reason", ""),
                                      kept.get("evidence", "")))
            continue
        line = kind.score(records, period, Decimal(item["weight"]), item.get("params") or {})
        lines.append({"key": item["key"], "kind": item["kind"], "name": item["name"], "weight": item["weight"],
                      "points": str(line.points), "summary": line.summary, "records": line.records})
    return lines


def total_of(lines: list[dict]) -> Decimal:
    return points(sum(Decimal(line["points"]) for line in lines))


def check_period(start: object, end: object) -> tuple[date, date]:
    try:
        first, last = date.fromisoformat(str(start or "").strip()), date.fromisoformat(str(end or "").strip())
    except ValueError:
        raise Invalid("请填写考核期的起止日期（年-月-日）", field="period_start") from None
    if last < first:
        raise Invalid("考核期的结束日期不能早于开始日期", field="period_end")
    if (last - first).days > PERIOD_MAX_DAYS:
        raise Invalid("考核期最长三年", field="period_end")
    return first, last


def _units(session: Session, office_id: int, ids) -> dict[int, Department]:
    return {d.id: d for d in session.scalars(
        select(Department).where(Department.id.in_(list(ids)), Department.office_id == office_id))}


def _fill(session: Session, result: AssessmentResult, scheme: AssessmentScheme, *, today: date,
          calendar: WorkdayCalendar, tz: ZoneInfo) -> None:
    """(Re)score every unit of a draft, keeping what the office entered."""
    result.as_of = min(result.period_end, today)
    period = Period(result.period_start, result.period_end, result.as_of, calendar,
                    settled=result.as_of if result.as_of < today else today - timedelta(days=1))
    records = load_records(session, scheme, calendar, tz)
    with_readings_until(session, records, result.period_end)
    existing = {s.department_id: s for s in session.scalars(
        select(AssessmentScore).where(AssessmentScore.result_id == result.id))}
    units = _units(session, scheme.office_id, records)
    for department_id, unit in records.items():
        if department_id not in units:
            continue
        score = existing.get(department_id)
        entered = {line["key"]: line for line in (score.lines if score else []) if "entered" in line}
        lines = score_unit(scheme, unit, period, entered)
        total = total_of(lines)
        if score is None:
            session.add(AssessmentScore(result_id=result.id, department_id=department_id, total=total,
                                        grade=grade_of(scheme.grades, total), lines=lines))
        else:
            score.lines, score.total, score.grade = lines, total, grade_of(scheme.grades, total)


def compute_result(session: Session, actor: Actor, scheme_id: int, *, start: object, end: object, today: date,
                   calendar: WorkdayCalendar, tz: ZoneInfo, now: datetime) -> AssessmentResult:
    scheme = get_scheme(session, actor, scheme_id)
    actor.require_admin_of(scheme.office_id)
    if scheme.superseded:
        raise Conflict("该方案已有新版本，请按最新版本考核")
    first, last = check_period(start, end)
    if first > today:
        raise Invalid("考核期尚未开始", field="period_start")
    result = AssessmentResult(office_id=scheme.office_id, scheme_id=scheme.id, period_start=first, period_end=last,
                              as_of=min(last, today), status=RESULT_DRAFT, computed_at=now, created_at=now)
    session.add(result)
    session.flush()
    _fill(session, result, scheme, today=today, calendar=calendar, tz=tz)
    record(session, actor, "assessment.compute", "assessment_result", result.id,
           after={"scheme_id": scheme.id, "period_start": first.isoformat(), "period_end": last.isoformat()}, now=now)
    return result


def get_result(session: Session, actor: Actor, result_id: int) -> AssessmentResult:
    """A unit sees only its own office's published results."""
    result = session.get(AssessmentResult, result_id)
    if result is None or not _readable_office(actor, result.office_id) or (
            actor.is_department and result.status != RESULT_PUBLISHED):
        raise NotFound("考核结果不存在")
    return result


def list_results(session: Session, actor: Actor) -> list[AssessmentResult]:
    query = select(AssessmentResult).order_by(AssessmentResult.period_end.desc(), AssessmentResult.id.desc())
    if actor.is_department:
        query = query.where(AssessmentResult.office_id == actor.office_id, AssessmentResult.status == RESULT_PUBLISHED)
    else:
        query = query.where(AssessmentResult.office_id.in_(actor.readable_office_ids))
    return list(session.scalars(query))


def _draft_to_change(session: Session, actor: Actor, result_id: int) -> AssessmentResult:
    result = get_result(session, actor, result_id)
    actor.require_admin_of(result.office_id)
    result = lock_for_change(session, AssessmentResult, result.id)
    if result.status != RESULT_DRAFT:
        raise Conflict("考核结果已发布，只能通过更正修改")
    return result


def recompute(session: Session, actor: Actor, result_id: int, *, today: date, calendar: WorkdayCalendar,
              tz: ZoneInfo, now: datetime) -> AssessmentResult:
    result = _draft_to_change(session, actor, result_id)
    _fill(session, result, session.get(AssessmentScheme, result.scheme_id), today=today, calendar=calendar, tz=tz)
    result.computed_at = now
    record(session, actor, "assessment.recompute", "assessment_result", result.id, now=now)
    return result


def _reason(text: object, what: str = "理由") -> str:
    reason = str(text or "").strip()
    if not reason:
        raise Invalid(f"请填写{what}", field="reason")
    if len(reason) > REASON_MAX:
        raise Invalid(f"{what}不能超过{REASON_MAX}字", field="reason")
    return reason


def _score_of(session: Session, result: AssessmentResult, department_id: object) -> AssessmentScore:
    try:
        department = int(str(department_id))
    except ValueError:
        department = 0
    if not 1 <= department <= MAX_ID:
        raise Invalid("请选择单位", field="department_id")
    score = session.scalars(select(AssessmentScore).where(
        AssessmentScore.result_id == result.id, AssessmentScore.department_id == department)).first()
    if score is None:
        raise Invalid("该单位不在本次考核中", field="department_id")
    return score


def _line_index(score: AssessmentScore, key: object) -> int:
    index = next((n for n, line in enumerate(score.lines) if line["key"] == str(key)), None)
    if index is None:
        raise Invalid("考核项不存在", field="item_key")
    return index


def set_entered(session: Session, actor: Actor, result_id: int, *, department_id: object, item_key: object,
                amount: object, reason: object, evidence: object = "", now: datetime) -> AssessmentScore:
    """加分/扣分 on a draft, with its reason (and evidence); each change audited."""
    result = _draft_to_change(session, actor, result_id)
    scheme = session.get(AssessmentScheme, result.scheme_id)
    score = _score_of(session, result, department_id)
    index = _line_index(score, item_key)
    before = score.lines[index]
    if "entered" not in before:
        raise Invalid("该考核项由系统按记录计算，不能录入", field="item_key")
    value = _decimal(amount, "分值")
    if value > Decimal(before["weight"]):
        raise Invalid(f"分值不能超过本项分值{show(Decimal(before['weight']))}", field="amount")
    why = _reason(reason)
    proof = str(evidence or "").strip()[:REASON_MAX]
    item = next(i for i in scheme.items if i["key"] == before["key"])
    lines = list(score.lines)
    lines[index] = entered_line(item, value, why, proof)
    score.lines = lines
    score.total = total_of(lines)
    score.grade = grade_of(scheme.grades, score.total)
    record(session, actor, "assessment.enter", "assessment_result", result.id,
           before={"department_id": score.department_id, "item": before["name"], "entered": before["entered"],
                   "reason": before["reason"]},
           after={"department_id": score.department_id, "item": before["name"], "entered": str(value),
                  "reason": why, "evidence": proof, "total": str(score.total)}, now=now)
    return score


def publish(session: Session, actor: Actor, result_id: int, *, ranking_public: bool, now: datetime) -> AssessmentResult:
    """Freeze a draft's scores. The scheme is locked first (shared; an edit takes it
    exclusively, then the drafts), so an edit either comes before and is seen here or
    waits and finds the scheme used by a published result (and makes a new version)."""
    seen = get_result(session, actor, result_id)
    actor.require_admin_of(seen.office_id)
    scheme = lock_for_change(session, AssessmentScheme, seen.scheme_id, shared=True)
    result = _draft_to_change(session, actor, result_id)
    if result.scheme_id != scheme.id or scheme.updated_at > result.computed_at:
        raise Conflict("考核方案在计算得分后已修改，请先按最新记录重新计算，核对后再发布")
    result.status = RESULT_PUBLISHED
    result.ranking_public = ranking_public
    result.published_at = now
    result.published_by = actor.user_id
    record(session, actor, "assessment.publish", "assessment_result", result.id,
           after={"ranking_public": ranking_public,
                  "scores": {str(s.department_id): str(s.total) for s in scores_of(session, result)}}, now=now)
    return result


def correct(session: Session, actor: Actor, result_id: int, *, department_id: object, item_key: object,
            new_points: object, reason: object, now: datetime) -> AssessmentCorrection:
    """更正 a line of a published score: its new points, the reason, who and when, both sides kept."""
    result = get_result(session, actor, result_id)
    actor.require_admin_of(result.office_id)
    result = lock_for_change(session, AssessmentResult, result.id)
    if result.status != RESULT_PUBLISHED:
        raise Conflict("考核结果尚未发布，请直接修改录入项或重新计算")
    scheme = session.get(AssessmentScheme, result.scheme_id)
    score = lock_for_change(session, AssessmentScore, _score_of(session, result, department_id).id)
    index = _line_index(score, item_key)
    line = score.lines[index]
    value = _decimal(new_points, "更正后的得分")
    if value > Decimal(line["weight"]):
        raise Invalid(f"得分不能超过本项分值{show(Decimal(line['weight']))}", field="new_points")
    why = _reason(reason, "更正理由")
    before = {"item": line["name"], "points": line["points"], "total": str(score.total), "grade": score.grade}
    lines = list(score.lines)
    lines[index] = line | {"points": str(points(value)),
                           "corrected": f"由{show(Decimal(line['points']))}分更正为{show(value)}分：{why}"}
    score.lines = lines
    score.total = total_of(lines)
    score.grade = grade_of(scheme.grades, score.total)
    after = {"item": line["name"], "points": str(points(value)), "total": str(score.total), "grade": score.grade}
    correction = AssessmentCorrection(result_id=result.id, department_id=score.department_id, item_key=line["key"],
                                      reason=why, before=before, after=after, corrected_by=actor.user_id,
                                      corrected_by_name=actor.username, created_at=now)
    session.add(correction)
    session.flush()
    record(session, actor, "assessment.correct", "assessment_result", result.id,
           before=before | {"department_id": score.department_id}, after=after | {"reason": why}, now=now)
    return correction


# --- reading a result -----------------------------------------------------------


def scores_of(session: Session, result: AssessmentResult) -> list[AssessmentScore]:
    return list(session.scalars(select(AssessmentScore).where(AssessmentScore.result_id == result.id)))


@dataclass
class Ranked:
    rank: int
    score: AssessmentScore
    name: str


@dataclass
class ResultView:
    """What the actor may see of a result: a unit its own score only, and the ranking
    (others' totals and grades, never their lines) once the office published it."""

    result: AssessmentResult
    scheme: AssessmentScheme
    ranking: list[Ranked]  # empty for a unit unless the ranking is public
    own: list[Ranked]  # the scores whose lines the actor may read
    distribution: list[tuple[str, int]]
    corrections: list[AssessmentCorrection]
    may_change: bool


def ranked_scores(session: Session, result: AssessmentResult) -> list[Ranked]:
    scores = scores_of(session, result)
    names = {d.id: d.name for d in session.scalars(select(Department).where(
        Department.id.in_([s.department_id for s in scores])))}
    scores.sort(key=lambda s: (-s.total, names.get(s.department_id, "")))
    ranking, previous = [], None
    for position, score in enumerate(scores, start=1):
        # Equal totals share a rank (1, 2, 2, 4).
        rank = ranking[-1].rank if previous is not None and score.total == previous else position
        ranking.append(Ranked(rank, score, names.get(score.department_id, "")))
        previous = score.total
    return ranking


def result_view(session: Session, actor: Actor, result_id: int) -> ResultView:
    result = get_result(session, actor, result_id)
    scheme = session.get(AssessmentScheme, result.scheme_id)
    ranking = ranked_scores(session, result)
    corrections = list(session.scalars(select(AssessmentCorrection).where(
        AssessmentCorrection.result_id == result.id).order_by(AssessmentCorrection.id)))
    if actor.is_department:
        own = [r for r in ranking if r.score.department_id == actor.department_id]
        corrections = [c for c in corrections if c.department_id == actor.department_id]
        if not result.ranking_public:
            ranking = []
    else:
        own = ranking
    counts = {name: 0 for name, _ in scheme.grades}
    for r in ranking:
        counts[r.score.grade] = counts.get(r.score.grade, 0) + 1
    return ResultView(result, scheme, ranking, own, list(counts.items()), corrections,
                      actor.is_admin and actor.office_id == result.office_id)

