"""Parse speed: a ~1 MB plan made by repeating the Guangzhou plan's tasks, and a
100-page text PDF of the same plan (written with fpdf2 and the Noto CJK font,
when both are installed; the PDF figure is left out otherwise).

Targets: under 1 s per MB of text, under 5 s for the 100-page PDF. The last
line is one JSON object with both figures.
"""

import json
import re
import time
from pathlib import Path

from service.plans.parser import parse_plan_file, parse_plan_text

SEED = Path(__file__).resolve().parent.parent / "tests" / "data" / "seeds" / "003_36280e565d71b47e.txt"
TARGET_BYTES = 1_000_000
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
PDF_PAGES = 100


def build_plan() -> str:
    text = SEED.read_text(encoding="utf-8")
    head, rest = text.split("二、重大工程和重點任務\n", 1)
    tasks, tail = rest.split("三、實施步驟\n", 1)
    copies, number = [], 0

    def renumber(match: re.Match) -> str:
        nonlocal number
        number += 1
        return f"{number}."

    size = len((head + tail).encode())
    while size < TARGET_BYTES:
        copy = re.sub(r"(?m)^\d+\.", renumber, tasks)
        copies.append(copy)
        size += len(copy.encode())
    return f"{head}二、重大工程和重點任務\n{''.join(copies)}三、實施步驟\n{tail}"


def build_pdf(pages: int) -> bytes | None:
    """A text PDF of at least `pages` pages: the plan with its tasks repeated, a page number on each page."""
    try:
        from fpdf import FPDF
    except ImportError:
        return None
    if not FONT.exists():
        return None

    class Document(FPDF):
        def footer(self):
            self.set_y(-15)
            self.cell(0, 8, f"- {self.page_no()} -", align="C")

    document = Document()
    document.add_font("cjk", fname=str(FONT))
    document.set_font("cjk", size=12)
    document.add_page()
    text = SEED.read_text(encoding="utf-8")
    while document.page_no() < pages:
        for paragraph in text.splitlines():
            document.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def main() -> None:
    text = build_plan()
    size = len(text.encode())
    started = time.perf_counter()
    plan = parse_plan_text(text)
    seconds = time.perf_counter() - started
    per_mb = seconds / (size / 1_000_000)
    print(f"parsed {size} bytes, {len(plan.tasks)} tasks, {len(plan.all_measures())} measures")
    print(f"{per_mb:.3f} s per MB")
    figures = {"bytes": size, "seconds": round(seconds, 4), "seconds_per_mb": round(per_mb, 4)}
    pdf = build_pdf(PDF_PAGES)
    if pdf is not None:
        started = time.perf_counter()
        plan = parse_plan_file(pdf, "plan.pdf")
        pdf_seconds = time.perf_counter() - started
        print(f"parsed a {PDF_PAGES}-page PDF ({len(pdf)} bytes) in {pdf_seconds:.3f} s, {len(plan.all_measures())} measures")
        figures |= {"pdf_pages": PDF_PAGES, "pdf_seconds": round(pdf_seconds, 4)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
