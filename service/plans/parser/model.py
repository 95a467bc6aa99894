"""The parsed plan: plain dataclasses that serialise to the stable JSON shape."""

from dataclasses import asdict, dataclass, field


@dataclass
class ParsedMeasure:
    """One clause that ends in a responsibility annotation (the unit of assignment)."""

    text: str
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    deadline: str | None = None


@dataclass
class ParsedTask:
    number: str
    title: str
    section: str | None = None
    mandatory: bool | None = None
    measures: list[ParsedMeasure] = field(default_factory=list)


@dataclass
class ParsedPhase:
    name: str
    deadline: str | None


@dataclass
class ParsedIndicator:
    """指标: a quantitative target such as 发明专利授权55件 by 2025.

    `comparison` is one of COMPARISONS; `unit` keeps its multiplier (亿元, 万件)
    so `target_value` stays the number the document wrote; `text` is the
    original fragment the indicator was read from; `department` is the
    responsible unit's name (the lead of the measure that states the target)
    or None.
    """

    name: str
    target_value: float
    unit: str
    comparison: str
    target_date: str | None = None
    text: str = ""
    department: str | None = None


COMPARISONS = ("at_least", "at_most", "growth_rate_at_least", "equal")
# How a 指标 sheet and the web pages write a comparison.
COMPARISON_LABELS = {"at_least": "不低于", "at_most": "不高于", "growth_rate_at_least": "年均增长不低于", "equal": "等于"}


@dataclass
class ParseWarning:
    """Something a person should look at before the plan is activated.

    `code` is stable for programs, `message` is Simplified Chinese for people,
    `measure` quotes the start of the measure or line concerned (or is None).
    """

    code: str
    message: str
    measure: str | None = None


@dataclass
class ParsedPlan:
    title: str | None = None
    doc_number: str | None = None
    phases: list[ParsedPhase] = field(default_factory=list)
    tasks: list[ParsedTask] = field(default_factory=list)
    measures_outside_tasks: list[ParsedMeasure] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    # Read from a 分工表: its units are picked from columns, so a name seen once is no typo to report.
    from_table: bool = False
    # The document's text as read (kept with the imported plan); None for a spreadsheet.
    source_text: str | None = None

    def all_measures(self) -> list[ParsedMeasure]:
        inside = [m for task in self.tasks for m in task.measures]
        return inside + self.measures_outside_tasks

    def is_empty(self) -> bool:
        return not (self.tasks or self.measures_outside_tasks or self.phases)

    def to_dict(self) -> dict:
        """The `duban plan parse` JSON shape, plus `warnings`."""
        data = asdict(self)
        del data["from_table"], data["source_text"]
        return data
