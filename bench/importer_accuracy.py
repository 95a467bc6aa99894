"""Importer accuracy on real published plans: (measure, unit, role) against hand-written expectations.

The documents and their sources are listed in tests/data/plans/documents.json
(see the README there); each `<name>.expected.json` was written by reading the
document, never from the parser's output. A 分工表 given as rows in a .json
file is written here as a .docx table (no task column: each row's 工作任务 is
the measure) and as an .xlsx sheet (重点任务 merged down its rows).

Prints one JSON line per document, then one per style:
{"document" | "style", "precision", "recall", "f1", "expected", "found", "correct"},
a document's line also with "deadlines" (measures whose expectation gives a
deadline) and "deadlines_correct".
"""

import io
import json
import sys
from pathlib import Path

from service.plans.parser import parse_plan_file
from service.plans.parser.chinese import strip_spaces, to_simplified

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "plans"


def docx_table(table: dict) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(table["title"])
    columns = [i for i, name in enumerate(table["header"]) if name != "重点任务"]
    grid = document.add_table(rows=len(table["rows"]) + 1, cols=len(columns))
    for r, row in enumerate([table["header"], *table["rows"]]):
        for c, index in enumerate(columns):
            grid.cell(r, c).text = row[index]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_table(table: dict) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([table["title"]])
    sheet.append(table["header"])
    for row in table["rows"]:
        sheet.append(row)
    # Each 重点任务 cell merged down over the rows (measures) below it, as offices lay them out.
    task_column = table["header"].index("重点任务") + 1
    starts = [i for i, row in enumerate(table["rows"]) if row[task_column - 1]] + [len(table["rows"])]
    for start, end in zip(starts, starts[1:]):
        if end - start > 1:
            sheet.merge_cells(start_row=start + 3, start_column=task_column, end_row=end + 2, end_column=task_column)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def document_bytes(entry: dict) -> tuple[bytes, str]:
    path = DATA / entry["file"]
    if entry.get("format") == "docx":
        return docx_table(json.loads(path.read_text(encoding="utf-8"))), "table.docx"
    if entry.get("format") == "xlsx":
        return xlsx_table(json.loads(path.read_text(encoding="utf-8"))), "table.xlsx"
    return path.read_bytes(), path.name


def _key(text: str) -> str:
    return strip_spaces(to_simplified(text))


def parsed_triples(plan, fragments: list[str]) -> tuple[set[tuple], dict]:
    """(expected measure index, or the text when none matches, unit, role) for every parsed assignment,
    and each matched measure's deadline by index."""
    found, deadlines = set(), {}
    rows = [(t.title, m) for t in plan.tasks for m in t.measures] + [("", m) for m in plan.measures_outside_tasks]
    for title, measure in rows:
        text, with_title = _key(measure.text), _key(title) + _key(measure.text)
        index = next((i for i, f in enumerate(fragments) if text.startswith(f) or with_title.startswith(f)), text)
        found |= {(index, name, "lead") for name in measure.lead}
        found |= {(index, name, "support") for name in measure.support}
        deadlines.setdefault(index, measure.deadline)
    return found, deadlines


def score(correct: int, expected: int, found: int) -> dict:
    precision = correct / found if found else 0.0
    recall = correct / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "expected": expected, "found": found, "correct": correct}


def evaluate(entry: dict) -> tuple[int, int, int, dict]:
    expected_file = DATA / entry.get("expected", f"{entry['name']}.expected.json")
    measures = json.loads(expected_file.read_text(encoding="utf-8"))["measures"]
    fragments = [_key(m["measure"]) for m in measures]
    expected = {(i, name, role) for i, m in enumerate(measures) for role in ("lead", "support") for name in m[role]}
    data, filename = document_bytes(entry)
    found, deadlines = parsed_triples(parse_plan_file(data, filename), fragments)
    dated = [i for i, m in enumerate(measures) if "deadline" in m]
    right = sum(1 for i in dated if deadlines.get(i) == measures[i]["deadline"])
    return len(found & expected), len(expected), len(found), {"deadlines": len(dated), "deadlines_correct": right}


def main() -> int:
    entries = json.loads((DATA / "documents.json").read_text(encoding="utf-8"))
    styles: dict[str, list[int]] = {}
    for entry in entries:
        correct, expected, found, dates = evaluate(entry)
        totals = styles.setdefault(entry["style"], [0, 0, 0])
        for i, value in enumerate((correct, expected, found)):
            totals[i] += value
        line = {"document": entry["name"], "style": entry["style"]} | score(correct, expected, found) | dates
        print(json.dumps(line, ensure_ascii=False))
    for style, (correct, expected, found) in styles.items():
        print(json.dumps({"style": style} | score(correct, expected, found), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
