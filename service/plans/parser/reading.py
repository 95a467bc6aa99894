"""Uploaded bytes → plan text or table rows.

Text files come as UTF-8 (with or without BOM), GB18030/GBK or Big5; the
encoding is the first that decodes strictly, and between GB18030 and Big5
(which both decode many byte strings) the one whose text looks more like a
Chinese document.
"""

import csv
import io
import re
import zipfile

from .errors import PlanParseError

Rows = list[list[object]]

_COMMON = set("的、，。和年市局区省县工作建设管理服务推进加强发展知识产权項區與為發展識產權進務設")
# Control characters: many of them mean the bytes are not text; a few are the
# noise of a converted document, dropped so they never reach a stored plan,
# except vertical tab, form feed and the separators, which end a line there
# (a manual line break in Word, a page break in pdftotext output).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_LINE_ENDING = re.compile(r"[\x0b\x0c\x1c-\x1e]")
_NOISE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")


def _score(text: str) -> int:
    return sum(1 for char in text if char in _COMMON)


def decode_text(data: bytes) -> str:
    if not data.strip():
        raise PlanParseError("文件为空 (empty file)")
    text = _decode(data)
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


def zip_kind(data: bytes) -> str | None:
    """'docx' or 'xlsx' for an Office Open XML package, else None."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    names = set(_open_zip(data).namelist())
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def read_docx(data: bytes) -> tuple[str, list[Rows]]:
    """The document's paragraph text and the rows of each of its tables."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a damaged package
        raise PlanParseError(f"无法读取 Word 文件 (unreadable .docx: {error})") from None
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return text, tables


def read_xlsx(data: bytes) -> dict[str, Rows]:
    """Rows of every sheet, by sheet name."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged package
        raise PlanParseError(f"无法读取 Excel 文件 (unreadable .xlsx: {error})") from None
    sheets = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    book.close()
    return sheets


def read_csv(data: bytes) -> Rows:
    text = decode_text(data)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]
