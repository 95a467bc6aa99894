"""Uploaded bytes → plan text or table rows.

Text files come as UTF-8 (with or without BOM), GB18030/GBK or Big5; the
encoding is the first that decodes strictly, and between GB18030 and Big5
(which both decode many byte strings) the one whose text looks more like a
Chinese document.

Nothing is read past `ReadLimits`: an Office file is a zip whose members can
inflate a thousandfold, so the zip's directory and the inflated bytes are
checked before a reader opens it, and text, rows and cells are counted before
any parser sees them. A hostile upload costs seconds and bounded memory.
"""

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from .errors import LimitExceeded, PlanParseError

Rows = list[list[object]]

_COMMON = set("的、，。和年市局区省县工作建设管理服务推进加强发展知识产权項區與為發展識產權進務設")
# Control characters: many of them mean the bytes are not text; a few are the
# noise of a converted document, dropped so they never reach a stored plan,
# except vertical tab, form feed and the separators, which end a line there
# (a manual line break in Word, a page break in pdftotext output).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_LINE_ENDING = re.compile(r"[\x0b\x0c\x1c-\x1e]")
_NOISE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")


_MB = 1024 * 1024
# What str.splitlines splits on.
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Per package kind: namespace, row tag and what a row is called, cell tag, what the file is called.
_COUNTED = {
    "docx": ("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}", "p", "个段落", "tc", "Word 文件"),
    "xlsx": ("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}", "row", "行", "c", "Excel 文件"),
}


@dataclass(frozen=True)
class ReadLimits:
    """How much of an upload is read (service.config.Settings sets them for the app)."""

    zip_members: int = 1000
    zip_member_bytes: int = 30 * _MB  # one member, inflated
    zip_bytes: int = 100 * _MB  # all members, inflated
    # python-docx builds a tree of the whole document.xml, some hundred bytes an element.
    xml_elements: int = 1_000_000
    chars: int = 1_000_000  # the text, or all cells together
    line_chars: int = 20_000  # one line, paragraph or cell
    rows: int = 50_000  # lines, paragraphs, table or sheet rows
    cells: int = 200_000  # table or sheet cells
    pdf_pages: int = 2_000


DEFAULT_LIMITS = ReadLimits()


def check_text(text: str, limits: ReadLimits) -> None:
    """LimitExceeded when `text` is longer, has more lines or a longer line than allowed."""
    if len(text) > limits.chars:
        raise LimitExceeded(f"正文超过 {limits.chars} 个字符的上限")
    start = 0
    for number, end in enumerate(_LINE_BREAKS.finditer(text), 1):
        if number > limits.rows:
            raise LimitExceeded(f"正文超过 {limits.rows} 行的上限")
        if end.start() - start > limits.line_chars:
            raise LimitExceeded(f"第 {number} 行超过每行 {limits.line_chars} 个字符的上限")
        start = end.end()
    if len(text) - start > limits.line_chars:
        raise LimitExceeded(f"最后一行超过每行 {limits.line_chars} 个字符的上限")


class _CellCounter:
    """Counts the rows and cells read from tables or sheets, and their characters."""

    def __init__(self, limits: ReadLimits):
        self.limits, self.rows, self.cells, self.chars = limits, 0, 0, 0

    def row(self, values: list[object]) -> list[object]:
        self.rows += 1
        self.cells += len(values)
        if self.rows > self.limits.rows:
            raise LimitExceeded(f"表格超过 {self.limits.rows} 行的上限")
        if self.cells > self.limits.cells:
            raise LimitExceeded(f"表格超过 {self.limits.cells} 个单元格的上限")
        for value in values:
            if isinstance(value, str):
                if len(value) > self.limits.line_chars:
                    raise LimitExceeded(f"第 {self.rows} 行有单元格超过 {self.limits.line_chars} 个字符的上限")
                self.chars += len(value)
        if self.chars > self.limits.chars:
            raise LimitExceeded(f"表格文字超过 {self.limits.chars} 个字符的上限")
        return values


def _score(text: str) -> int:
    return sum(1 for char in text if char in _COMMON)


def decode_text(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    if not data.strip():
        raise PlanParseError("文件为空 (empty file)")
    text = _decode(data)
    check_text(text, limits)
    if len(_CONTROL.findall(text)) > len(text) // 100:
        raise PlanParseError("不是文本文件 (binary file, not text)")
    return clean_text(text)


def clean_text(text: str) -> str:
    """A document's text without the control characters of its conversion."""
    return _NOISE.sub("", _LINE_ENDING.sub("\n", text))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for encoding in ("gb18030", "big5"):
        try:
            candidates.append(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise PlanParseError("无法识别文件编码 (unreadable: not UTF-8, GB18030 or Big5)")
    return max(candidates, key=_score)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise PlanParseError(f"无法读取文件 (unreadable file: {error})") from None


def _check_zip(package: zipfile.ZipFile, limits: ReadLimits) -> None:
    """LimitExceeded when the package holds too many members or inflates past the limits.

    The directory's sizes are checked first; since they can lie, every member is
    then inflated (in chunks, thrown away) and counted, stopping at the limit.
    """
    members = package.infolist()
    if len(members) > limits.zip_members:
        raise LimitExceeded(f"文件内含 {len(members)} 个部件，超过 {limits.zip_members} 个的上限")
    member_limit = f"解压后单个部件超过 {limits.zip_member_bytes / _MB:g} MB 的上限"
    total_limit = f"解压后总大小超过 {limits.zip_bytes / _MB:g} MB 的上限"
    if any(m.file_size > limits.zip_member_bytes for m in members):
        raise LimitExceeded(member_limit)
    if sum(m.file_size for m in members) > limits.zip_bytes:
        raise LimitExceeded(total_limit)
    total = 0
    try:
        for member in members:
            size = 0
            with package.open(member) as inflating:
                while chunk := inflating.read(_MB):
                    size, total = size + len(chunk), total + len(chunk)
                    if size > limits.zip_member_bytes:
                        raise LimitExceeded(member_limit)
                    if total > limits.zip_bytes:
                        raise LimitExceeded(total_limit)
    # Encrypted (RuntimeError), an unknown method (NotImplementedError), corrupt data (zlib.error).
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError,
            zlib.error) as error:
        raise PlanParseError(f"无法读取文件 (unreadable file: {error})") from None


def _count_xml(package: zipfile.ZipFile, name: str, limits: ReadLimits, kind: str) -> None:
    """LimitExceeded when a part holds too many elements, rows (Word paragraphs)
    or cells, counted while streaming it, before a reader builds its tree
    (python-docx) or openpyxl scans a sheet for its size (seconds a million rows)."""
    from lxml import etree

    namespace, row_tag, row_word, cell_tag, label = _COUNTED[kind]
    row_tag, cell_tag = namespace + row_tag, namespace + cell_tag
    elements = rows = cells = 0
    try:
        with package.open(name) as part:
            for _, element in etree.iterparse(part, events=("end",), resolve_entities=False, no_network=True):
                elements += 1
                if element.tag == row_tag:
                    rows += 1
                elif element.tag == cell_tag:
                    cells += 1
                if elements > limits.xml_elements:
                    raise LimitExceeded(f"{label}超过 {limits.xml_elements} 个 XML 元素的上限")
                if rows > limits.rows:
                    raise LimitExceeded(f"{label}超过 {limits.rows} {row_word}的上限")
                if cells > limits.cells:
                    raise LimitExceeded(f"{label}超过 {limits.cells} 个单元格的上限")
                element.clear(keep_tail=True)
    except etree.XMLSyntaxError as error:
        raise PlanParseError(f"无法读取{label} (unreadable {name}: {error})") from None


def zip_kind(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> str | None:
    """'docx' or 'xlsx' for an Office Open XML package, else None.

    The package is checked against `limits` before anything reads its members.
    """
    if not data.startswith(b"PK\x03\x04"):
        return None
    package = _open_zip(data)
    _check_zip(package, limits)
    names = set(package.namelist())
    if "word/document.xml" in names:
        _count_xml(package, "word/document.xml", limits, "docx")
        return "docx"
    if "xl/workbook.xml" in names:
        for name in sorted(names):
            if name.startswith("xl/worksheets/") and name.endswith(".xml") or name == "xl/sharedStrings.xml":
                _count_xml(package, name, limits, "xlsx")
        return "xlsx"
    return None


def read_docx(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[str, list[Rows]]:
    """The document's paragraph text and the rows of each of its tables
    (`zip_kind` has checked the package against `limits`)."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a damaged package
        raise PlanParseError(f"无法读取 Word 文件 (unreadable .docx: {error})") from None
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    check_text(text, limits)
    # A merged cell repeats in every grid column it spans, so the cells are counted as read.
    counter = _CellCounter(limits)
    tables = [[counter.row([cell.text for cell in row.cells]) for row in table.rows] for table in document.tables]
    return text, tables


def read_xlsx(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> dict[str, Rows]:
    """Rows of every sheet, by sheet name, streamed and counted against `limits`
    (`zip_kind` has checked the package)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged package
        raise PlanParseError(f"无法读取 Excel 文件 (unreadable .xlsx: {error})") from None
    counter = _CellCounter(limits)
    try:
        return {
            sheet.title: [counter.row(list(row)) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def read_csv(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> Rows:
    text = decode_text(data, limits)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    counter = _CellCounter(limits)
    try:
        return [counter.row(row) for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as error:
        raise PlanParseError(f"无法读取 CSV 文件 (unreadable .csv: {error})") from None
