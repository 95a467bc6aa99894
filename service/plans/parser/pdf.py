"""PDF → plan text, with the page furniture taken out.

A text PDF is read through pdfium (pypdfium2), page by page. What a person
never reads as part of the plan is removed: page numbers ("- 3 -", "第3页",
"3/12"), the running header and footer repeated on most pages, and the line
breaks that only wrap a paragraph to the page width (a line as wide as the
page's text that does not end a sentence, or is followed by plain text).
A scanned PDF has no text layer: the office is told to upload the document
in a form with text instead.
"""

import re
from collections import Counter

from .errors import LimitExceeded, PlanParseError
from .outline import read_line
from .reading import DEFAULT_LIMITS, ReadLimits

SCANNED = "这是扫描件（图片）PDF，无法读取文字：请上传可复制文字的 PDF，或 Word（.docx）、纯文本文件"

_PAGE_NUMBER = re.compile(
    r"^(?:[-－—–]\s{0,3}\d{1,4}\s{0,3}[-－—–]|第\s{0,3}\d{1,4}\s{0,3}页(?:\s{0,3}[,，/]?\s{0,3}共\s{0,3}\d{1,4}\s{0,3}页)?"
    r"|\d{1,4}(?:\s{0,3}/\s{0,3}\d{1,4})?|[Pp]age\s{0,3}\d{1,4}(?:\s{0,3}of\s{0,3}\d{1,4})?)$"
)
_DIGITS = re.compile(r"\d+")
# pdfium writes a space where a CJK run meets digits or Latin letters ("2018 年").
_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[\u3000-\u9fff\uff00-\uffef])")
_SENTENCE_END = tuple("。；;：:！？!?」』”）)")
_EDGE_LINES = 2  # header and footer lines looked at on each page
_MIN_TEXT_PER_PAGE = 10


def is_pdf(data: bytes, filename: str) -> bool:
    return data.startswith(b"%PDF-") or filename.lower().endswith(".pdf")


def read_pdf(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise PlanParseError(f"无法读取 PDF 文件 (unreadable .pdf: {error})") from None
    try:
        if len(document) > limits.pdf_pages:
            raise LimitExceeded(f"PDF 超过 {limits.pdf_pages} 页的上限")
        pages, chars = [], 0
        for index in range(len(document)):
            pages.append(_page_lines(document[index]))
            # Counted page by page, so a document of huge pages stops early.
            chars += sum(len(line) for line in pages[-1])
            if chars > limits.chars:
                raise LimitExceeded(f"正文超过 {limits.chars} 个字符的上限")
    finally:
        document.close()
    if sum(len("".join(lines)) for lines in pages) < _MIN_TEXT_PER_PAGE * max(len(pages), 1):
        raise PlanParseError(SCANNED)
    return "\n".join(join_wrapped(strip_furniture(pages)))


def _page_lines(page) -> list[str]:
    text = page.get_textpage().get_text_range()
    lines = [_GAP.sub("", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [line for line in lines if line]


def strip_furniture(pages: list[list[str]]) -> list[str]:
    """The pages' lines in order, without page numbers and repeated headers/footers."""
    edges = Counter()
    for lines in pages:
        edges.update({_DIGITS.sub("#", line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    repeated = {
        line
        for line, count in edges.items()
        if len(pages) >= 3 and count >= len(pages) / 2 and _may_be_furniture(line)
    }
    kept = []
    for lines in pages:
        for index, line in enumerate(lines):
            at_edge = index < _EDGE_LINES or index >= len(lines) - _EDGE_LINES
            if at_edge and (_PAGE_NUMBER.match(line) or _DIGITS.sub("#", line) in repeated):
                continue
            kept.append(line)
    return kept


def _may_be_furniture(line: str) -> bool:
    """A heading or a sentence that recurs at a page's edge is still the plan's text."""
    return read_line(line).level is None and not line.endswith(_SENTENCE_END)


def _width(line: str) -> int:
    return sum(1 if char < "\u1100" else 2 for char in line)


def join_wrapped(lines: list[str]) -> list[str]:
    """Lines joined where only the page width broke a paragraph."""
    if not lines:
        return []
    widths = sorted(_width(line) for line in lines)
    full = widths[int(len(widths) * 0.9)] - 4  # a line this wide reached the right margin
    joined, previous = [lines[0]], lines[0]
    for line in lines[1:]:
        wrapped = _width(previous) >= full
        if wrapped and (not previous.endswith(_SENTENCE_END) or read_line(line).level is None):
            joined[-1] += line
        else:
            joined.append(line)
        previous = line
    return joined
