"""考核结果 as files: the .xlsx with every item of every score, and the .docx 考核结果通报,
both from the stored lines of a `ResultView` (what the reader may see, as the page shows it)."""

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from service import docx
from service.assessment.models import RESULT_STATUS_LABELS
from service.assessment.service import ResultView, cn, show
from service.xlsx import workbook_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def title_of(view: ResultView) -> str:
    r = view.result
    name = view.scheme.name + ("结果" if view.scheme.name.endswith("考核") else "考核结果")
    return f"{name}（{cn(r.period_start)}至{cn(r.period_end)}）"


def result_xlsx(view: ResultView) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "考核得分"
    items = view.scheme.items
    sheet.append([title_of(view) + f"（{RESULT_STATUS_LABELS[view.result.status]}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["名次", "单位", "总分", "等次"] + [f"{i['name']}（{show(Decimal(i['weight']))}分）" for i in items])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in view.own:
        by_key = {line["key"]: line for line in r.score.lines}
        sheet.append([r.rank, r.name, float(r.score.total), r.score.grade]
                     + [float(by_key[i["key"]]["points"]) if i["key"] in by_key else None for i in items])
    sheet.column_dimensions["B"].width = 28
    detail = book.create_sheet("得分说明")
    detail.append(["单位", "考核项", "分值", "得分", "说明", "计入的记录"])
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for r in view.own:
        for line in r.score.lines:
            note = line["summary"] + (f"；{line['corrected']}" if line.get("corrected") else "")
            detail.append([r.name, line["name"], float(line["weight"]), float(line["points"]), note,
                           "\n".join(line["records"])])
            detail.cell(detail.max_row, 6).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEF", (24, 16, 8, 8, 40, 80)):
        detail.column_dimensions[column].width = width
    return workbook_bytes(book)


def result_docx(view: ResultView, office_name: str) -> bytes:
    """考核结果通报: the ranking and grades, then each unit's items with their explanations."""
    document = docx.new_document()
    docx.title(document, f"关于{title_of(view)}的通报")
    r = view.result
    published = cn(r.published_at.date()) if r.published_at else "（待发布）"
    docx.paragraph(document, f"{office_name}　{published}", indent=False, align="center")
    docx.paragraph(
        document,
        f"根据《{view.scheme.name}》（第{view.scheme.version}版），对各单位{cn(r.period_start)}至{cn(r.period_end)}"
        f"的工作进行了考核，记录统计截至{cn(r.as_of)}，满分{show(view.scheme.total)}分。现将结果通报如下。",
    )
    if view.ranking:
        docx.heading(document, "一、考核得分及等次")
        docx.table(document, ("名次", "单位", "总分", "等次"),
                   [(ranked.rank, ranked.name, show(ranked.score.total), ranked.score.grade) for ranked in view.ranking],
                   widths_cm=(2, 8, 3, 3))
        docx.paragraph(document, "等次分布：" + "，".join(f"{name}{count}个" for name, count in view.distribution))
    docx.heading(document, "二、各单位得分说明" if view.ranking else "一、得分说明")
    for ranked in view.own:
        docx.heading(document, f"{ranked.name}：{show(ranked.score.total)}分，{ranked.score.grade}", level=2)
        docx.table(document, ("考核项", "分值", "得分", "说明"), [
            (line["name"], show(Decimal(line["weight"])), show(Decimal(line["points"])),
             "；".join([line["summary"], *line["records"]] + ([line["corrected"]] if line.get("corrected") else [])))
            for line in ranked.score.lines
        ], widths_cm=(3.5, 1.6, 1.6, 8.9))
    if view.corrections:
        docx.heading(document, "更正记录")
        names = {r.score.department_id: r.name for r in view.own}
        for c in view.corrections:
            docx.paragraph(document, f"{names.get(c.department_id, '')}{c.after['item']}：由{show(Decimal(c.before['points']))}分"
                           f"更正为{show(Decimal(c.after['points']))}分，总分由{show(Decimal(c.before['total']))}分"
                           f"更正为{show(Decimal(c.after['total']))}分。理由：{c.reason}")
    return docx.document_bytes(document)
