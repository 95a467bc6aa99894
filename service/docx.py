"""The one way the app writes an official document (.docx): A4, 仿宋 body, 黑体 headings.

Word picks a Chinese font from the run's eastAsia attribute, not from its name:
a run whose font is only named falls back to the reader's default CJK font, so
every run here sets both. Issued documents are stored as the bytes written
here, and a re-download serves those bytes, never a regeneration.
"""

import io
from collections.abc import Sequence

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
BODY_SIZE = Pt(16)  # 三号, the size of an official document's body
TABLE_SIZE = Pt(12)


def _font(run, name: str, size, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def new_document():
    """An A4 document with the official margins and 仿宋 as the default (also eastAsia)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    return document


def title(document, text: str, *, size=Pt(22), colour: RGBColor | None = None) -> None:
    """The document's title: centred, 二号 (22 pt)."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), TITLE_FONT, size, bold=True, colour=colour)


def heading(document, text: str, *, level: int = 1) -> None:
    """A heading (一、… at level 1): 黑体, stored in the Heading N style so readers list it."""
    paragraph = document.add_paragraph(style=f"Heading {level}")
    paragraph.paragraph_format.space_before = Pt(12)
    _font(paragraph.add_run(text), HEADING_FONT, BODY_SIZE, colour=RGBColor(0, 0, 0))


def paragraph(
    document, text: str, *, indent: bool = True, align: str | None = None, bold: bool = False, size=BODY_SIZE
) -> None:
    """A body paragraph in 仿宋, first line indented two characters; each line of `text` a paragraph."""
    for line in (text.splitlines() or [""]):
        p = document.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(size.pt * 2)
        if align == "center":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif align == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(p.add_run(line), BODY_FONT, size, bold=bold)


def table(
    document, header: Sequence[str], rows: Sequence[Sequence[object]], *, widths_cm: Sequence[float] = (),
    size=TABLE_SIZE,
) -> None:
    """A bordered table with a bold header row, cells in 仿宋 (小四 unless `size`).

    Widths go on the grid columns and on every cell: LibreOffice reads the
    former, Word the latter."""
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, header):
        _cell(cell, text, size, bold=True)
    for row in rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row):
            _cell(cell, "" if value is None else str(value), size)
    if widths_cm:
        grid.autofit = False
        for index, width in enumerate(widths_cm):
            grid.columns[index].width = Cm(width)
            for row in grid.rows:
                row.cells[index].width = Cm(width)


def _cell(cell, text: str, size, *, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(size.pt / 4)
    _font(p.add_run(text), HEADING_FONT if bold else BODY_FONT, size, bold=bold)


def document_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
