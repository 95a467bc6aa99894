"""Message bodies rendered from Jinja2 templates in templates/messages/.

Each kind has up to four templates, `<kind>.<family>.j2`:
    subject  (required) one line
    text     (required) plain text: email body, WeCom text, fallback for every channel
    markdown (optional) WeCom/DingTalk/Feishu markdown
    html     (optional) the email's HTML alternative (autoescaped)
Shared by the reminders engine and delivery.
"""

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound, select_autoescape

from service.resources import resource_dir



@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    markdown: str | None
    html: str | None


class _MessageEnvironment(Environment):
    """Message contexts are dicts of plain values, so `item.level` looks the key up
    first (as `item["level"]` does) and an attribute only when there is no such
    key: Jinja's attribute-first lookup raised and caught an AttributeError for
    every field of every item, most of the cost of rendering a digest."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache
def _environment() -> Environment:
    return _MessageEnvironment(
        loader=FileSystemLoader(resource_dir("templates") / "messages"),
        # Only the HTML family is escaped: markdown and text go out as written.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the code: checking their files' times on every render
        # (and on every import of the macros) cost a scan thousands of stat calls.
        auto_reload=False,
    )


@lru_cache(maxsize=None)
def _template(kind: str, family: str) -> Template | None:
    try:
        return _environment().get_template(f"{kind}.{family}.j2")
    except TemplateNotFound:
        return None


@lru_cache
def _macros():
    return _environment().get_template("_macros.j2").module


# What the `badge` and `status` macros read of an item.
LABEL_FIELDS = ("level", "colour_name", "level_name", "kind", "report_by", "period_name", "days_left", "unacknowledged")


def item_labels(item: dict) -> dict:
    """A digest item's `badge` and `status` line, worded in _macros.j2.

    Worked out once per item rather than in each family of each digest that
    lists it (Jinja macro calls were half of a scan's rendering), and once per
    distinct set of the fields they read: a scan's thousands of items share a
    few hundred.
    """
    return _labels(tuple((key, item[key]) for key in LABEL_FIELDS if key in item))


@lru_cache(maxsize=4096)
def _labels(fields: tuple) -> dict:
    macros = _macros()
    item = dict(fields)
    return {"badge": str(macros.badge(item)), "status": str(macros.status(item))}


def _render(kind: str, family: str, context: dict, required: bool) -> str | None:
    template = _template(kind, family)
    if template is None:
        if required:
            raise TemplateNotFound(f"{kind}.{family}.j2")
        return None
    return template.render(**context).strip()


def render_bodies(kind: str, context: dict) -> tuple[str, str | None]:
    """The text and markdown bodies alone: what a channel's size limit applies to."""
    return _render(kind, "text", context, True), _render(kind, "markdown", context, False)


def render_format(kind: str, family: str, context: dict) -> str | None:
    """One body: "text" (every kind has one), "markdown" or "html" (None if the kind has none)."""
    return _render(kind, family, context, family == "text")


def render_subject(kind: str, context: dict) -> str:
    return " ".join(_render(kind, "subject", context, True).split())


def render(kind: str, context: dict) -> RenderedMessage:
    text, markdown = render_bodies(kind, context)
    return RenderedMessage(
        subject=render_subject(kind, context), text=text, markdown=markdown, html=render_format(kind, "html", context),
    )
