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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from service.resources import resource_dir


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    markdown: str | None
    html: str | None


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(resource_dir("templates") / "messages"),
        # Only the HTML family is escaped: markdown and text go out as written.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _render(kind: str, family: str, context: dict, required: bool) -> str | None:
    try:
        template = _environment().get_template(f"{kind}.{family}.j2")
    except TemplateNotFound:
        if required:
            raise
        return None
    return template.render(**context).strip()


def render(kind: str, context: dict) -> RenderedMessage:
    return RenderedMessage(
        subject=" ".join(_render(kind, "subject", context, True).split()),
        text=_render(kind, "text", context, True),
        markdown=_render(kind, "markdown", context, False),
        html=_render(kind, "html", context, False),
    )
