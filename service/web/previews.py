"""消息预览: the messages the system queued and sent, shown as their receivers see
them, so an office without a mail server or robot (the demo) sees the chasing work.

Bodies are written by templates from data people typed (measure texts, comments):
markdown is escaped first and then given its few tags; an e-mail's HTML keeps only
a short list of tags and no attributes but http(s) links."""

import re
from html import escape
from html.parser import HTMLParser

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy import func, select

from service.delivery.models import Notification
from service.config import Settings
from service.delivery.service import STATUSES, digest_bodies, list_notifications, visible_notifications
from service.dependencies import IdPath, PageQuery, SessionDep, SettingsDep
from service.errors import NotFound
from service.web.directory import STATUS_LABELS
from service.web.lookups import department_names
from service.web.render import render
from service.web.milestones import NOTICE_LABELS
from service.web.session import PageActorDep

router = APIRouter()
PAGE_SIZE = 20
# Channels whose receivers read the markdown body; e-mail reads the HTML one, a webhook the text.
MARKDOWN_CHANNELS = ("wecom", "dingtalk", "feishu")
KIND_LABELS = {
    **NOTICE_LABELS, "reminder": "提醒催办", "bulletin": "情况通报", "delivery_dead": "发送失败提醒", "test": "测试消息",
}

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# WeCom's coloured text, escaped: &lt;font color=&#34;warning&#34;&gt;…&lt;/font&gt;
_FONT = re.compile(r"&lt;font color=&(?:#34|quot);(\w+)&(?:#34|quot);&gt;(.*?)&lt;/font&gt;")


def _inline(line: str) -> str:
    line = _FONT.sub(r'<span class="md-\1">\2</span>', escape(line))
    line = _BOLD.sub(r"<strong>\1</strong>", line)
    return _LINK.sub(r'<a href="\2" rel="noreferrer">\1</a>', line)


def markdown_html(text: str) -> Markup:
    """The robots' markdown as they show it: headings, quotes, bold, links, coloured text."""
    out, quote = [], []
    for line in text.splitlines():
        if line.startswith(">"):
            quote.append(_inline(line[1:].strip()))
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            out.append(f"<h4>{_inline(heading.group(1))}</h4>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    return Markup("\n".join(out))


class _Cleaner(HTMLParser):
    TAGS = {"p", "br", "ol", "ul", "li", "strong", "b", "em", "i", "div", "span", "h1", "h2", "h3", "h4",
            "table", "thead", "tbody", "tr", "td", "th", "blockquote", "a", "hr"}
    VOID = {"br", "hr"}
    DROPPED = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._dropped = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.DROPPED:
            self._dropped += 1
        elif tag in self.TAGS and not self._dropped:
            href = dict(attrs).get("href") or ""
            link = f' href="{escape(href)}" rel="noreferrer"' if tag == "a" and re.match(r"https?://", href) else ""
            self.out.append(f"<{tag}{link}>")

    def handle_endtag(self, tag):
        if tag in self.DROPPED:
            self._dropped = max(0, self._dropped - 1)
        elif tag in self.TAGS and tag not in self.VOID and not self._dropped:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self._dropped:
            self.out.append(escape(data))


def clean_html(html: str) -> Markup:
    """An e-mail's HTML body with only harmless tags left: no attributes, scripts or styles."""
    cleaner = _Cleaner()
    cleaner.feed(html)
    cleaner.close()
    return Markup("".join(cleaner.out))


def shown_body(settings: Settings, notification: Notification) -> Markup:
    """The body the receiver reads (or will read) on this channel."""
    bodies = digest_bodies(settings, notification)
    if notification.channel_type in MARKDOWN_CHANNELS and bodies.markdown and not notification.mentions:
        return markdown_html(bodies.markdown)
    if notification.channel_type == "email" and bodies.html:
        return clean_html(bodies.html)
    return Markup('<pre class="message-text">{}</pre>').format(bodies.text)


def _page(request: Request, actor, session, settings: Settings, rows: list[Notification], **context):
    return render(request, "messages.html", {
        "rows": rows,
        "bodies": {n.id: shown_body(settings, n) for n in rows},
        "names": department_names(session, actor),
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        **context,
    })


@router.get("/messages")
def messages_page(request: Request, actor: PageActorDep, session: SessionDep, settings: SettingsDep,
                  page: PageQuery = 1, status: str | None = None):
    actor.require_admin()
    status = status if status in STATUSES else None
    page = max(1, page)
    rows = list_notifications(session, actor, status=status, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    total = session.scalar(select(func.count()).select_from(visible_notifications(actor).subquery()))
    return _page(request, actor, session, settings, rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                 status=status, total=total, single=False)


@router.get("/messages/{notification_id}")
def message_page(request: Request, notification_id: IdPath, actor: PageActorDep, session: SessionDep,
                 settings: SettingsDep):
    actor.require_admin()
    found = session.scalars(visible_notifications(actor).where(Notification.id == notification_id)).first()
    if found is None:
        raise NotFound("没有这条消息")
    return _page(request, actor, session, settings, [found], page=1, has_next=False, status=None, total=1, single=True)
