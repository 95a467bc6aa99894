"""Plan importer, database side: a document → a draft plan plus the preview the
office checks (matched names, unmatched names with suggestions, the parser's
warnings); the office maps or confirms the unmatched names, then activates.
Confirmed mappings teach the directory aliases, so the next plan from the same
city matches without questions.
"""

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import PurePath

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from service.audit.service import record
from service.auth.actor import Actor
from service.auth.models import User
from service.config import Settings
from service.delivery.models import Channel
from service.departments.models import Department
from service.departments.service import normalize_name
from service.errors import Conflict, DomainError, Invalid
from service.indicators.models import Indicator
from service.milestones.models import Milestone
from service.plans.models import PLAN_STATUS_LABELS, ROLE_LEAD, Assignment, Measure, Plan
from service.plans.parser import LimitExceeded, PlanParseError, ReadLimits, parse_plan_file, parse_plan_text
from service.plans.parser import model as parsed_model
from service.plans.parser.checks import MEASURE_CODES, measure_checks, snippet
from service.plans.parser.reading import DEFAULT_LIMITS
from service.flows.plan_creation import create_plan_from_parsed
from service.plans.service import get_editable_draft, get_plan
from service.plans.spreadsheet import write_task_table

IMPORT_ACTION = "plan.import"
# Below this similarity a directory entry is noise, not a suggestion.
MIN_SUGGESTION_SCORE = 0.5
SUGGESTIONS = 3
# A name that differs only by 市/区 prefix or 局/委/办 suffix is almost surely the same unit.
SAME_CORE_SCORE = 0.95
_PREFIXES = ("市", "区", "省", "县")
_SUFFIXES = ("委员会", "办公室", "局", "委", "办")


class TooLarge(DomainError):
    status_code = 413


@dataclass(frozen=True)
class ImportLimits:
    """What an import accepts: the upload's bytes, what reading it expands to, its measures."""

    max_bytes: int | None = None
    read: ReadLimits = DEFAULT_LIMITS
    measures: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ImportLimits":
        return cls(
            max_bytes=settings.import_max_bytes,
            read=ReadLimits(
                zip_members=settings.import_zip_max_members,
                zip_member_bytes=settings.import_zip_member_max_bytes,
                zip_bytes=settings.import_zip_max_bytes,
                chars=settings.import_max_chars,
                line_chars=settings.import_max_line_chars,
                rows=settings.import_max_rows,
                cells=settings.import_max_cells,
            ),
            measures=settings.import_max_measures,
        )


class DuplicateImport(Conflict):
    """The document was imported before: the office looks at that plan first."""

    def __init__(self, plan: Plan):
        super().__init__(
            f"这份文件已经导入过：计划“{plan.title}”（{PLAN_STATUS_LABELS.get(plan.status, plan.status)}，"
            f"导入于 {plan.created_at:%Y-%m-%d}）"
        )
        self.plan_id = plan.id


@dataclass
class MatchedName:
    name: str
    department_id: int


@dataclass
class UnmatchedName:
    name: str
    # Up to three {"department_id", "name", "score"}, best first.
    suggestions: list[dict] = field(default_factory=list)
    # The unconfirmed department the importer created for the name.
    department_id: int | None = None
    kind: str | None = None


@dataclass
class ImportPreview:
    plan_id: int
    matched: list[MatchedName]
    unmatched: list[UnmatchedName]
    # {"code", "message", "measure", "measure_id"}: see `current_warnings`.
    warnings: list[dict]
    tasks: int
    measures: int
    phases: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportResult:
    plan: Plan
    preview: ImportPreview


def _core(name: str) -> str:
    core = normalize_name(name)
    if core.startswith(_PREFIXES) and len(core) > 2:
        core = core[1:]
    for suffix in _SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix) + 1:
            return core[: -len(suffix)]
    return core


class _Similarity:
    """How much directory names look like one name; the name's side of the
    matchers is prepared once, since a directory may hold thousands of names."""

    def __init__(self, name: str):
        self.name, self.core = name, _core(name)
        self.full, self.cores = SequenceMatcher(None), SequenceMatcher(None)
        self.full.set_seq2(self.name)
        self.cores.set_seq2(self.core)

    def __call__(self, known: str, known_core: str) -> float:
        if known == self.name:
            return 1.0
        if known_core == self.core:
            return SAME_CORE_SCORE
        self.full.set_seq1(known)
        self.cores.set_seq1(known_core)
        # The shared 市…局 boilerplate inflates the raw ratio (市版权局 vs 市知识产权局),
        # so the cores weigh as much as the full names.
        if (self.full.quick_ratio() + self.cores.quick_ratio()) / 2 < MIN_SUGGESTION_SCORE:
            return 0.0
        return (self.full.ratio() + self.cores.ratio()) / 2


KnownNames = list[tuple[Department, list[tuple[str, str]]]]


def _known_names(session: Session, office_id: int) -> KnownNames:
    """The office's confirmed departments, each with its names and aliases and their cores."""
    departments = session.scalars(
        select(Department).where(Department.office_id == office_id, Department.confirmed.is_(True))
    ).all()
    return [(d, [(known, _core(known)) for known in [d.name, *(d.aliases or [])]]) for d in departments]


def _rank(name: str, directory: KnownNames, limit: int) -> list[dict]:
    similarity = _Similarity(normalize_name(name))
    scored = []
    for department, names in directory:
        score = max(similarity(known, core) for known, core in names)
        if score >= MIN_SUGGESTION_SCORE:
            scored.append({"department_id": department.id, "name": department.name, "score": round(score, 3)})
    scored.sort(key=lambda s: (-s["score"], s["name"]))
    return scored[:limit]


def suggest_departments(session: Session, office_id: int, name: str, limit: int = SUGGESTIONS) -> list[dict]:
    """The confirmed departments whose name or an alias looks most like `name`."""
    return _rank(name, _known_names(session, office_id), limit)


def _link_to_measures(warnings: list[dict], plan: Plan) -> list[dict]:
    """The parser's warnings, each with the id of the measure it quotes (or None)."""
    first_by_quote: dict[str, int] = {}
    for measure in plan.measures:
        first_by_quote.setdefault(snippet(measure.text), measure.id)
    return [w | {"measure_id": first_by_quote.get(w["measure"]) if w.get("measure") else None} for w in warnings]


def current_warnings(session: Session, plan: Plan) -> list[dict]:
    """The plan's warnings as they stand now.

    What only the document could tell (an unreadable phase date, a bad 指标
    row) comes from the import record; a measure's time limit that could not be
    read stops counting once the measure has a deadline. Everything about the
    tasks and measures is checked again on the current rows, so an edit that
    fixes a measure clears its warning and one that breaks a measure raises one.
    """
    parsed, measures = rows_as_parsed(session, plan)
    dated = {m.id for m in measures if m.deadline}
    recorded = plan.import_notes or {}
    kept = [
        {"measure_id": None} | w
        for w in recorded.get("warnings", [])
        if w["code"] not in MEASURE_CODES and w.get("measure_id") not in dated
    ]
    checked = [
        asdict(warning) | {"measure_id": None if index is None else measures[index].id}
        for index, warning in measure_checks(parsed, free_text=not recorded.get("from_table"))
    ]
    return kept + checked


def _departments(session: Session, plan: Plan) -> tuple[list[MatchedName], list[UnmatchedName]]:
    # In order of first mention, as the office reads the document.
    department_ids = list(dict.fromkeys(a.department_id for m in plan.measures for a in m.assignments))
    departments = {
        d.id: d for d in session.scalars(select(Department).where(Department.id.in_(department_ids)))
    }
    matched, unmatched = [], []
    directory = None
    for department in (departments[i] for i in department_ids):
        if department.confirmed:
            matched.append(MatchedName(department.name, department.id))
        else:
            directory = directory if directory is not None else _known_names(session, plan.office_id)
            suggestions = _rank(department.name, directory, SUGGESTIONS)
            unmatched.append(UnmatchedName(department.name, suggestions, department.id, department.kind))
    return matched, unmatched


def _preview(session: Session, plan: Plan) -> ImportPreview:
    matched, unmatched = _departments(session, plan)
    return ImportPreview(
        plan_id=plan.id,
        matched=matched,
        unmatched=unmatched,
        warnings=current_warnings(session, plan),
        tasks=len(plan.tasks),
        measures=len(plan.measures),
        phases=len(plan.phases),
    )


def content_hash(source_text: str | None, data: bytes | None) -> str:
    """The document's text without its whitespace (so encoding, line breaks and a
    paste of the same text do not count as a difference), or the file's bytes."""
    if source_text is not None:
        return hashlib.sha256(re.sub(r"\s+", "", source_text).encode("utf-8")).hexdigest()
    return hashlib.sha256(data or b"").hexdigest()


def _earlier_import(session: Session, office_id: int, digest: str) -> Plan | None:
    return session.scalars(
        select(Plan).where(Plan.office_id == office_id, Plan.source_hash == digest).order_by(Plan.id.desc())
    ).first()


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(f"文件太大：上限为 {max_bytes / (1024 * 1024):.0f} MB")


def import_plan(
    session: Session,
    actor: Actor,
    *,
    data: bytes | None = None,
    filename: str | None = None,
    text: str | None = None,
    now: datetime,
    limits: ImportLimits = ImportLimits(),
    allow_duplicate: bool = False,
) -> ImportResult:
    """A draft plan from a document (`data` with its `filename`) or from pasted `text`.

    Nothing is written unless the document parses as a plan within `limits`, nor
    when the office imported the same document before (DuplicateImport), unless
    `allow_duplicate`.
    """
    actor.require_admin()
    if (data is None) == (text is None):
        raise Invalid("请上传一个文件或粘贴计划正文（二者选一）")
    try:
        if text is not None:
            _check_size(len(text.encode("utf-8")), limits.max_bytes)
            parsed = parse_plan_text(text, limits.read)
        else:
            _check_size(len(data), limits.max_bytes)
            filename = filename or "upload.txt"
            parsed = parse_plan_file(data, filename, limits.read)
    except LimitExceeded as error:
        raise TooLarge(f"无法导入：{error}") from None
    except PlanParseError as error:
        raise Invalid(f"无法导入：{error}") from None
    measures = len(parsed.all_measures())
    if limits.measures is not None and measures > limits.measures:
        raise TooLarge(f"无法导入：计划有 {measures} 条措施，超过 {limits.measures} 条的上限")
    plan_data = parsed.to_dict()
    warnings = plan_data.pop("warnings")
    if not plan_data.get("title"):
        plan_data["title"] = PurePath(filename).stem if filename else "未命名计划"
    # A phase whose date could not be read is already a bad_date warning.
    plan_data["phases"] = [p for p in plan_data["phases"] if p.get("deadline")]
    source_text = parsed.source_text
    digest = content_hash(source_text, data)
    earlier = _earlier_import(session, actor.office_id, digest)
    if earlier is not None and not allow_duplicate:
        raise DuplicateImport(earlier)
    created = create_plan_from_parsed(session, actor, plan_data, now=now, source_text=source_text)
    created.plan.source_hash = digest
    created.plan.import_notes = {"warnings": _link_to_measures(warnings, created.plan), "from_table": parsed.from_table}
    record(
        session, actor, IMPORT_ACTION, "plan", created.plan.id,
        after={
            "filename": filename,
            **created.plan.import_notes,
            "unmatched_departments": created.unmatched_departments,
            "duplicate_of": earlier.id if earlier is not None else None,
        },
        now=now,
    )
    return ImportResult(created.plan, _preview(session, created.plan))


def preview_for(session: Session, actor: Actor, plan_id: int) -> ImportPreview:
    plan = get_plan(session, actor, plan_id)
    return _preview(session, plan)


def department_in_use(session: Session, department_id: int) -> bool:
    return any(
        session.scalar(select(exists().where(column == department_id)))
        for column in (
            Assignment.department_id, Milestone.department_id, User.department_id, Channel.department_id,
            Indicator.department_id,
        )
    )


def _map_to(
    session: Session, actor: Actor, plan: Plan, placeholder: Department, target: Department, now: datetime
) -> None:
    reassigned = merged = 0
    for measure in plan.measures:
        mine = next((a for a in measure.assignments if a.department_id == placeholder.id), None)
        if mine is None:
            continue
        existing = next((a for a in measure.assignments if a.department_id == target.id), None)
        if existing is None:
            mine.department_id = target.id
            reassigned += 1
        else:
            if mine.role == ROLE_LEAD:
                existing.role = ROLE_LEAD
            measure.assignments.remove(mine)
            merged += 1
    # An indicator follows the lead it was given at import.
    session.execute(
        update(Indicator)
        .where(Indicator.plan_id == plan.id, Indicator.department_id == placeholder.id)
        .values(department_id=target.id)
    )
    session.flush()
    aliases_before = list(target.aliases or [])
    if placeholder.name not in aliases_before and placeholder.name != target.name:
        target.aliases = sorted({*aliases_before, placeholder.name})
        record(
            session, actor, "department.update", "department", target.id,
            before={"aliases": aliases_before}, after={"aliases": target.aliases}, now=now,
        )
    deleted = not department_in_use(session, placeholder.id)
    if deleted:
        session.delete(placeholder)
        session.flush()
    record(
        session, actor, "plan.map_department", "plan", plan.id,
        after={
            "name": placeholder.name,
            "department_id": target.id,
            "reassigned": reassigned,
            "merged": merged,
            "placeholder_deleted": deleted,
        },
        now=now,
    )


def apply_department_mapping(
    session: Session, actor: Actor, plan_id: int, mapping: dict[str, int | None], now: datetime
) -> ImportPreview:
    """Settle unmatched names: an id maps the name to that department (and teaches
    it the name as an alias), None confirms the name as a new department."""
    plan = get_editable_draft(session, actor, plan_id)
    placeholders = {u.name: session.get(Department, u.department_id) for u in _departments(session, plan)[1]}
    unknown = [name for name in mapping if name not in placeholders]
    if unknown:
        raise Invalid(f"这些名称不是本计划待匹配的单位：{'、'.join(unknown)}")
    target_ids = {i for i in mapping.values() if i is not None}
    targets = {
        d.id: d
        for d in session.scalars(
            select(Department).where(
                Department.id.in_(target_ids), Department.office_id == plan.office_id, Department.confirmed.is_(True)
            )
        )
    }
    foreign = sorted(target_ids - targets.keys())
    if foreign:
        raise Invalid(f"单位 {', '.join(map(str, foreign))} 不是本办公室已确认的单位")
    for name, target_id in mapping.items():
        placeholder = placeholders[name]
        if target_id is None:
            placeholder.confirmed = True
            record(
                session, actor, "department.confirm", "department", placeholder.id,
                before={"confirmed": False}, after={"confirmed": True, "name": name}, now=now,
            )
        else:
            _map_to(session, actor, plan, placeholder, targets[target_id], now)
    session.flush()
    return preview_for(session, actor, plan.id)


def rows_as_parsed(session: Session, plan: Plan) -> tuple[parsed_model.ParsedPlan, list[Measure]]:
    """The plan's rows as the parser's model, with the directory's department names,
    and its measures in the order of `ParsedPlan.all_measures()`."""
    department_ids = {a.department_id for m in plan.measures for a in m.assignments}
    names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(department_ids))).all())
    in_order: list[Measure] = []

    def measures(rows: list[Measure]) -> list[parsed_model.ParsedMeasure]:
        in_order.extend(rows)
        return [
            parsed_model.ParsedMeasure(
                m.text,
                [names[a.department_id] for a in m.assignments if a.role == ROLE_LEAD],
                [names[a.department_id] for a in m.assignments if a.role != ROLE_LEAD],
                m.deadline.isoformat() if m.deadline else None,
            )
            for m in rows
        ]

    by_task: dict[int | None, list[Measure]] = {}
    for m in plan.measures:
        by_task.setdefault(m.task_id, []).append(m)
    parsed = parsed_model.ParsedPlan(
        title=plan.title,
        doc_number=plan.doc_number,
        phases=[parsed_model.ParsedPhase(p.name, p.deadline.isoformat()) for p in plan.phases],
        tasks=[
            parsed_model.ParsedTask(
                t.number, t.title, t.section.title if t.section else None, t.mandatory, measures(by_task.get(t.id, []))
            )
            for t in plan.tasks
        ],
    )
    parsed.measures_outside_tasks = measures(by_task.get(None, []))
    return parsed, in_order


def plan_as_parsed(session: Session, plan: Plan) -> dict:
    """The plan in the parser's JSON shape, with the directory's department names."""
    return rows_as_parsed(session, plan)[0].to_dict()


def export_task_table(session: Session, actor: Actor, plan_id: int) -> tuple[Plan, bytes]:
    """The plan as a 分工表 .xlsx that `import_plan` reads back to the same plan."""
    plan = get_plan(session, actor, plan_id)
    return plan, write_task_table(plan_as_parsed(session, plan))
