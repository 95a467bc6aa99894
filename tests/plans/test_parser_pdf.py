"""Text PDFs (written here with fpdf2 and a CJK font), scanned PDFs, .doc/.wps."""

import io
from pathlib import Path

import pytest

from service.plans.parser import PlanParseError, parse_plan_file, parse_plan_text
from service.plans.parser.pdf import SCANNED

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="no CJK font (fonts-noto-cjk) to write a test PDF")


def pdf_bytes(text: str, header: str | None = None, footer: bool = True, width: float = 0) -> bytes:
    """A text PDF of `text`, wrapped to the page, with a running header and a "- N -" page number."""
    from fpdf import FPDF

    class Document(FPDF):
        def header(self):
            if header:
                self.set_font("cjk", size=9)
                self.cell(0, 8, header, align="C")
                self.ln(10)

        def footer(self):
            if footer:
                self.set_y(-15)
                self.set_font("cjk", size=9)
                self.cell(0, 8, f"- {self.page_no()} -", align="C")

    document = Document()
    document.add_font("cjk", fname=str(FONT))
    document.set_font("cjk", size=12)
    document.add_page()
    for paragraph in text.splitlines():
        document.multi_cell(width, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
    out = io.BytesIO()
    document.output(out)
    return out.getvalue()


def triples(plan) -> list[tuple]:
    return [(tuple(m.lead), tuple(m.support), m.deadline) for m in plan.all_measures()]


@needs_font
def test_the_guangzhou_plan_as_a_pdf_reads_like_the_text(guangzhou_text):
    data = pdf_bytes(guangzhou_text, header="廣州市人民政府文件")
    plan, text_plan = parse_plan_file(data, "plan.pdf"), parse_plan_text(guangzhou_text)
    assert len(plan.all_measures()) == 61
    assert triples(plan) == triples(text_plan)
    assert [(t.number, t.title, t.section) for t in plan.tasks] == [(t.number, t.title, t.section) for t in text_plan.tasks]
    assert (plan.title, plan.doc_number, plan.phases) == (text_plan.title, text_plan.doc_number, text_plan.phases)
    # Wrapped lines are joined again, and no page furniture is left inside a measure.
    assert [m.text for m in plan.all_measures()] == [m.text.replace("\n", "") for m in text_plan.all_measures()]
    assert not any("廣州市人民政府文件" in m.text or "- 2 -" in m.text for m in plan.all_measures())


@needs_font
def test_a_pdf_is_recognised_by_its_content_whatever_its_name(guangzhou_text):
    data = pdf_bytes(guangzhou_text)
    assert len(parse_plan_file(data, "附件1").all_measures()) == 61


@needs_font
def test_a_pdf_without_text_is_a_scan():
    data = pdf_bytes("", footer=False)
    with pytest.raises(PlanParseError) as error:
        parse_plan_file(data, "扫描件.pdf")
    assert str(error.value) == SCANNED and ".docx" in SCANNED


def test_a_damaged_pdf_is_refused_in_words():
    with pytest.raises(PlanParseError, match="PDF"):
        parse_plan_file(b"%PDF-1.7\nnot really", "plan.pdf")


@pytest.mark.parametrize(
    ("data", "filename", "hint"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "方案.doc", "另存为” .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "方案.wps", "另存为” .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "附件", "另存为” .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "分工表.xls", "另存为” .xlsx"),
    ],
)
def test_old_office_and_wps_files_say_what_to_upload_instead(data, filename, hint):
    with pytest.raises(PlanParseError, match=hint):
        parse_plan_file(data, filename)


def test_page_numbers_and_running_headers_go_and_wrapped_lines_join():
    from service.plans.parser.pdf import join_wrapped, strip_furniture

    header, width = "某市人民政府办公室文件", "甲" * 30
    pages = [
        [header, f"一、重点任务{n}", width, "续行。", f"第 {n} 页 共 3 页"] for n in (1, 2, 3)
    ]
    lines = strip_furniture(pages)
    assert header not in lines and not any("页" in line for line in lines)
    assert join_wrapped(lines) == ["一、重点任务1", width + "续行。", "一、重点任务2", width + "续行。", "一、重点任务3", width + "续行。"]


def test_a_full_line_that_ends_a_sentence_keeps_the_heading_after_it():
    from service.plans.parser.pdf import join_wrapped

    full = "乙" * 29 + "。"
    assert join_wrapped(["标题", full, "（二）下一个任务", full, "正文继续"]) == ["标题", full, "（二）下一个任务", full + "正文继续"]
