"""指标: create from the parsed plan, edit, report actuals, judge progress.

Reach follows the milestones': an office reads its own and its children's
plans, a department only the indicators it is responsible for (another
department's indicator is indistinguishable from none), leaders read.
The owning office's admin creates and edits indicators; readings come from the
responsible department or the office admin.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from service.audit.service import record, snapshot
from service.auth.actor import Actor
from service.departments.models import Department
from service.errors import Forbidden, Invalid, NotFound
from service.indicators.models import Indicator, IndicatorReading
from service.milestones.models import Milestone
from service.plans.models import PLAN_DRAFT, Plan
from service.plans.parser import COMPARISON_LABELS, COMPARISONS

AT_LEAST, AT_MOST, GROWTH, EQUAL = "at_least", "at_most", "growth_rate_at_least", "equal"
INDICATOR_FIELDS = (
    "name", "unit", "comparison", "target_value", "baseline_value", "target_date", "department_id", "text",
)
# Numeric(18, 4) holds 14 digits before the point.
_LIMIT = Decimal("1e14")


@dataclass(frozen=True)
class IndicatorStatus:
    indicator: Indicator
    latest: IndicatorReading | None
    # Share of the way from the baseline (or zero) to the target, 0..1; None before any reading.
    progress: float | None
    # None before any reading, or when the indicator has no date to judge the pace by.
    on_track: bool | None


# --- values ------------------------------------------------------------------


def _amount(value: object, what: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(f"{what}“{value}”不是数字") from None
    if not amount.is_finite() or abs(amount) >= _LIMIT:
        raise Invalid(f"{what}“{value}”超出范围")
    return amount.quantize(Decimal("0.0001"))


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{what}不能为空")
    if len(value.strip()) > limit:
        raise Invalid(f"{what}不能超过 {limit} 个字")
    return value.strip()


def _date(value: object, what: str) -> date | None:
    if value in (None, "") or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{what}“{value}”不是 YYYY-MM-DD 格式") from None


def _comparison(value: object) -> str:
    if value not in COMPARISONS:
        raise Invalid(f"比较方式必须是 {', '.join(COMPARISONS)} 之一")
    return value


def _apply(session: Session, indicator: Indicator, plan: Plan, values: dict) -> None:
    """Set the given fields (partial for an edit) after checking each."""
    if "name" in values:
        indicator.name = _text(values["name"], "指标名称", 500)
    if "unit" in values:
        indicator.unit = (values["unit"] or "").strip()[:20]
    if "comparison" in values:
        indicator.comparison = _comparison(values["comparison"])
    if "target_value" in values:
        indicator.target_value = _amount(values["target_value"], "目标值")
    if "baseline_value" in values:
        raw = values["baseline_value"]
        indicator.baseline_value = None if raw in (None, "") else _amount(raw, "基期值")
    if "target_date" in values:
        indicator.target_date = _date(values["target_date"], "目标日期")
    if "department_id" in values:
        department_id = values["department_id"]
        if department_id is not None and not session.scalar(
            select(exists().where(Department.id == department_id, Department.office_id == plan.office_id))
        ):
            raise Invalid(f"单位 {department_id} 不是本办公室的单位")
        indicator.department_id = department_id
    if "text" in values:
        indicator.text = (values["text"] or "").strip() or indicator.name


def add_parsed_indicators(
    session: Session,
    plan: Plan,
    items: object,
    *,
    department_of: Callable[[str], Department | None] = lambda name: None,
) -> list[Indicator]:
    """The parser's `indicators` (`{"name", "target_value", "unit", "comparison",
    "target_date", "text", "department"}`) as rows of a plan being created;
    audited with the plan. `department_of` finds the responsible unit by name;
    a name it does not know leaves the indicator to the office to assign."""
    if items in (None, []):
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise Invalid("indicators 必须是对象数组")
    created = []
    for position, item in enumerate(items, start=1):
        indicator = Indicator(plan_id=plan.id, position=position, unit="", comparison=AT_LEAST)
        values = {"comparison": AT_LEAST, "text": ""} | item
        name = values.pop("department", None)
        department = department_of(name) if isinstance(name, str) and name.strip() else None
        if department is not None:
            values["department_id"] = department.id
        try:
            _apply(session, indicator, plan, values)
            if indicator.target_value is None:
                raise Invalid("目标值不能为空")
        except Invalid as error:
            raise Invalid(f"指标 {position}：{error.message}") from None
        session.add(indicator)
        created.append(indicator)
    session.flush()
    return created


# --- reading -----------------------------------------------------------------


def _department_sees_plan(session: Session, actor: Actor, plan_id: int) -> bool:
    """A department reaches a plan where it has milestones or indicators of its own."""
    return bool(
        session.scalar(
            select(
                exists().where(Milestone.plan_id == plan_id, Milestone.department_id == actor.department_id)
                | exists().where(Indicator.plan_id == plan_id, Indicator.department_id == actor.department_id)
            )
        )
    )


def readable_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    plan = session.scalars(
        select(Plan).where(Plan.id == plan_id, Plan.office_id.in_(actor.readable_office_ids))
    ).first()
    # A draft is the office's until it is issued, whatever units its indicators name.
    if plan is None or (
        actor.department_id is not None
        and (plan.status == PLAN_DRAFT or not _department_sees_plan(session, actor, plan_id))
    ):
        raise NotFound(f"计划 {plan_id} 不存在")
    return plan


def list_indicators(session: Session, actor: Actor, plan_id: int) -> tuple[Plan, list[Indicator]]:
    plan = readable_plan(session, actor, plan_id)
    query = select(Indicator).where(Indicator.plan_id == plan.id)
    if actor.department_id is not None:
        query = query.where(Indicator.department_id == actor.department_id)
    return plan, list(session.scalars(query.order_by(Indicator.position, Indicator.id)))


def get_indicator(session: Session, actor: Actor, indicator_id: int) -> Indicator:
    query = (
        select(Indicator)
        .join(Plan, Plan.id == Indicator.plan_id)
        .where(Indicator.id == indicator_id, Plan.office_id.in_(actor.readable_office_ids))
    )
    if actor.department_id is not None:
        query = query.where(Indicator.department_id == actor.department_id)
    indicator = session.scalars(query).first()
    if indicator is None:
        raise NotFound(f"指标 {indicator_id} 不存在")
    return indicator


def list_readings(session: Session, actor: Actor, indicator_id: int) -> list[IndicatorReading]:
    """Newest first."""
    indicator = get_indicator(session, actor, indicator_id)
    return list(
        session.scalars(
            select(IndicatorReading)
            .where(IndicatorReading.indicator_id == indicator.id)
            .order_by(IndicatorReading.as_of.desc(), IndicatorReading.id.desc())
        )
    )


def latest_readings(session: Session, indicator_ids: list[int]) -> dict[int, IndicatorReading]:
    """Each indicator's reading with the latest as-of date (the last filed on a tie)."""
    if not indicator_ids:
        return {}
    newer = aliased(IndicatorReading)
    # One index probe per indicator (indicator_id, as_of, id), not a pass over every reading.
    latest_id = (
        select(newer.id)
        .where(newer.indicator_id == Indicator.id)
        .order_by(newer.as_of.desc(), newer.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.scalars(
        select(IndicatorReading)
        .join(Indicator, IndicatorReading.id == latest_id)
        .where(Indicator.id.in_(indicator_ids))
    )
    return {reading.indicator_id: reading for reading in rows}


def _clamp(share: float) -> float:
    return min(1.0, max(0.0, share))


def progress_of(indicator: Indicator, value: Decimal) -> tuple[float, bool]:
    """(share of the way to the target, target met) for an actual value."""
    target = indicator.target_value
    if indicator.comparison == AT_MOST:
        met = value <= target
        baseline = indicator.baseline_value
        if baseline is not None and baseline > target:
            return _clamp(float((baseline - value) / (baseline - target))), met
        if met:
            return 1.0, met
        return (_clamp(float(target / value)) if value > 0 else 0.0), met
    met = value == target if indicator.comparison == EQUAL else value >= target
    baseline = Decimal(0) if indicator.comparison == GROWTH else (indicator.baseline_value or Decimal(0))
    if target == baseline:
        return (1.0 if met else 0.0), met
    return _clamp(float((value - baseline) / (target - baseline))), met


def _pace(start: date, end: date | None, as_of: date) -> float | None:
    """The share of the way a level target should have covered by `as_of`, at an even pace."""
    if end is None or end <= start:
        return None
    return _clamp((as_of - start).days / (end - start).days)


def plan_start(plan: Plan) -> date:
    return plan.period_start or plan.issued_date or plan.created_at.date()


def status_of(indicator: Indicator, latest: IndicatorReading | None, plan: Plan) -> IndicatorStatus:
    """On track: the target is met, or a level still short of it (at_least) is at
    least as far along as the time gone since the plan started. A rate or a
    ceiling is judged as it stands: there is no pace to be ahead of."""
    if latest is None:
        return IndicatorStatus(indicator, None, None, None)
    share, met = progress_of(indicator, latest.value)
    if met:
        on_track = True
    elif indicator.comparison == AT_LEAST:
        pace = _pace(plan_start(plan), indicator.target_date or plan.period_end, latest.as_of)
        on_track = None if pace is None else share >= pace
    else:
        on_track = False
    return IndicatorStatus(indicator, latest, share, on_track)


def statuses(session: Session, plan: Plan, indicators: list[Indicator]) -> list[IndicatorStatus]:
    latest = latest_readings(session, [i.id for i in indicators])
    return [status_of(i, latest.get(i.id), plan) for i in indicators]


def status_for(session: Session, indicator: Indicator) -> IndicatorStatus:
    return statuses(session, session.get(Plan, indicator.plan_id), [indicator])[0]


def light_of(status: IndicatorStatus) -> tuple[str, str]:
    """The light of an indicator (green / red / grey) and the words beside it."""
    if status.latest is None:
        return "grey", "未报送"
    if status.on_track is None:
        return "grey", "无法判断进度"
    return ("green", "进度正常") if status.on_track else ("red", "进度滞后")


def figure(value: Decimal | None) -> str:
    """1600.0000 → 1600, 6.8000 → 6.8."""
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def target_text(indicator: Indicator) -> str:
    return f"{COMPARISON_LABELS[indicator.comparison]} {figure(indicator.target_value)}{indicator.unit}"


# --- changing ----------------------------------------------------------------


def _audit(session: Session, actor: Actor, action: str, indicator: Indicator, before, now: datetime) -> None:
    after = _snapshot(indicator)
    record(session, actor, action, "indicator", indicator.id, before=before, after=after, now=now)


def _snapshot(indicator: Indicator) -> dict:
    values = snapshot(indicator, *INDICATOR_FIELDS)
    for key in ("target_value", "baseline_value"):
        values[key] = None if values[key] is None else str(values[key])
    return values


def create_indicator(session: Session, actor: Actor, plan_id: int, values: dict, *, now: datetime) -> Indicator:
    actor.require_admin()
    plan = readable_plan(session, actor, plan_id)
    actor.require_admin_of(plan.office_id)
    position = (session.scalar(select(func.max(Indicator.position)).where(Indicator.plan_id == plan.id)) or 0) + 1
    indicator = Indicator(plan_id=plan.id, position=position, unit="", comparison=AT_LEAST, text="")
    _apply(session, indicator, plan, {"comparison": AT_LEAST, "text": ""} | values)
    if indicator.target_value is None:
        raise Invalid("目标值不能为空")
    session.add(indicator)
    session.flush()
    _audit(session, actor, "indicator.create", indicator, None, now)
    return indicator


def update_indicator(session: Session, actor: Actor, indicator_id: int, values: dict, *, now: datetime) -> Indicator:
    """Correct an indicator or set its baseline and responsible unit: any of INDICATOR_FIELDS."""
    indicator = get_indicator(session, actor, indicator_id)
    plan = session.get(Plan, indicator.plan_id)
    actor.require_admin_of(plan.office_id)
    unknown = set(values) - set(INDICATOR_FIELDS)
    if unknown:
        raise Invalid(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
    before = _snapshot(indicator)
    _apply(session, indicator, plan, values)
    session.flush()
    _audit(session, actor, "indicator.update", indicator, before, now)
    return indicator


def add_reading(
    session: Session,
    actor: Actor,
    indicator_id: int,
    *,
    value: object,
    as_of: object,
    note: str | None = None,
    now: datetime,
) -> IndicatorReading:
    """An actual as of a date, from the responsible department or the owning office's admin."""
    indicator = get_indicator(session, actor, indicator_id)
    plan = session.get(Plan, indicator.plan_id)
    if actor.is_admin:
        actor.require_admin_of(plan.office_id)
    elif not (actor.is_department and actor.department_id == indicator.department_id):
        raise Forbidden("只有责任单位或领导小组办公室管理员可以报送指标数据")
    when = _date(as_of, "数据日期")
    if when is None:
        raise Invalid("数据日期不能为空")
    reading = IndicatorReading(
        indicator_id=indicator.id,
        value=_amount(value, "实际值"),
        as_of=when,
        note=(note or "").strip() or None,
        reported_by=actor.user_id,
        created_at=now,
    )
    session.add(reading)
    session.flush()
    record(
        session, actor, "indicator.reading", "indicator", indicator.id,
        after={"reading_id": reading.id, "value": str(reading.value), "as_of": when.isoformat(), "note": reading.note},
        now=now,
    )
    return reading
