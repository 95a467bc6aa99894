"""督办通报: the printable bulletin per plan and month, its .xlsx, and the bulletin
as a document: a draft the office writes its narrative into, previewed, then
issued as 第N期 and downloaded as the .docx it was issued as."""

from fastapi import APIRouter, Request
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from service.bulletins import service
from service.bulletins.routes import DOCX, attachment
from service.errors import DomainError, Forbidden, NotFound
from service.dependencies import IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from service.web.actions import confirmed, run_action
from service.web.lookups import load_milestones
from service.web.render import redirect, render
from service.web.session import PageActorDep
from service.xlsx import workbook_bytes

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list], widths: tuple[int, ...], *, first=False):
    sheet = book.active if first else book.create_sheet(title)
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    return sheet


@router.get("/bulletins/{plan_id}.xlsx")
def bulletin_xlsx(plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, month: str | None = None):
    b = service.build_bulletin(session, actor, plan_id, month, today, settings.tz)
    s = service.snapshot(session, actor, b, settings.tz)
    book = Workbook()
    sheet = book.active
    sheet.title = "单位排名"
    sheet.append([f"{b.plan.title} 督办通报（{s['period_label']}，截至 {s['as_of']}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([service.overall_text(s)])
    sheet.append([])
    sheet.append(["排名", "单位", "按时完成率", "逾期数", "已办结", "节点总数"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for index, r in enumerate(b.ranking, start=1):
        sheet.append([index, b.names.get(r.department_id, ""), r.on_time_rate, r.overdue, r.approved, r.total])
        sheet.cell(sheet.max_row, 3).number_format = "0%"
    for column, width in zip("ABCDEF", (6, 28, 12, 10, 10, 10)):
        sheet.column_dimensions[column].width = width
    milestones = load_milestones(session, [o.fact.id for o in b.overdue])
    late = _sheet(book, "逾期事项", ["单位", "计划任务", "措施", "阶段", "完成时限", "逾期天数"], [], (24, 10, 60, 14, 12, 10))
    for o in b.overdue:
        m = milestones[o.fact.id]
        measure = m.assignment.measure
        late.append([
            b.names.get(o.fact.department_id, ""), measure.task.number if measure.task else "", measure.text,
            m.phase.name if m.phase else "措施时限", o.fact.due_date, o.days_late,
        ])
        late.cell(late.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    _sheet(book, "指标完成情况", ["指标", "目标", "最新实际", "截至", "进度", "状态", "责任单位"],
           [[i["name"], i["target"], i["actual"], i["as_of"], i["progress"], i["status"], i["unit"]] for i in s["indicators"]],
           (28, 16, 14, 16, 8, 14, 24))
    name = service.filename(b.plan.title, f"督办通报{s['period_label']}", "xlsx")
    return attachment(workbook_bytes(book), name, XLSX)


@router.get("/bulletins/{plan_id}")
def bulletin_page(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, month: str | None = None):
    b = service.build_bulletin(session, actor, plan_id, month, today, settings.tz)
    return render(request, "bulletin.html", {
        "b": b, "s": service.snapshot(session, actor, b, settings.tz),
        "milestones": load_milestones(session, [o.fact.id for o in b.overdue]),
        "documents": service.documents_of(session, actor, plan_id),
        "may_issue": actor.is_admin and actor.office_id == b.plan.office_id,
    })


@router.post("/bulletins/{plan_id}/documents")
def create_draft(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, now: NowDep):
    month = str(request.state.form.get("month") or "") or None
    done = {}
    response = run_action(
        request, session,
        lambda: done.setdefault("d", service.create_draft(session, actor, plan_id, month, today=today, tz=settings.tz, now=now)),
        ok="", back=f"/bulletins/{plan_id}" + (f"?month={month}" if month else ""),
    )
    return redirect(request, f"/bulletin-documents/{done['d'].id}", "已生成通报草稿，请填写总体情况和下一步工作后预览印发") if "d" in done else response


def _document_page(request, session, actor, document_id: int, today, settings, *, typed: dict | None = None,
                   error: DomainError | None = None):
    document = service.get_document(session, actor, document_id)
    figures = service.draft_figures(session, actor, document, today=today, tz=settings.tz)
    text = typed or {"narrative": document.narrative, "next_steps": document.next_steps}
    return render(request, "bulletin_document.html", {
        "d": document, "s": figures, "text": text, "error": error.message if error else None,
        "office_name": service.office_name(session, document.office_id),
        "expected_number": service.next_number(session, document.office_id, today.year),
        "year": today.year,
        "may_issue": actor.is_admin and actor.office_id == document.office_id,
        "overall": service.overall_text(figures),
    }, status_code=error.status_code if error else 200)


@router.get("/bulletin-documents/{document_id}.docx")
def document_docx(document_id: IdPath, actor: PageActorDep, session: SessionDep):
    return attachment(*service.issued_file(session, service.get_document(session, actor, document_id)), DOCX)


# After the .docx route: "/bulletin-documents/5.docx" would otherwise reach the page as a bad id.
@router.get("/bulletin-documents/{document_id}")
def document_page(request: Request, document_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep):
    return _document_page(request, session, actor, document_id, today, settings)


@router.post("/bulletin-documents/{document_id}")
def edit_document(request: Request, document_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, now: NowDep):
    form = request.state.form
    typed = {"narrative": str(form.get("narrative") or ""), "next_steps": str(form.get("next_steps") or "")}
    try:
        service.update_draft(session, actor, document_id, narrative=typed["narrative"], next_steps=typed["next_steps"], now=now)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        return _document_page(request, session, actor, document_id, today, settings, typed=typed, error=exc)
    return redirect(request, f"/bulletin-documents/{document_id}", "草稿已保存，下方为印发预览")


@router.post("/bulletin-documents/{document_id}/issue")
def issue_document(request: Request, document_id: IdPath, actor: PageActorDep, session: SessionDep, today: TodayDep, settings: SettingsDep, now: NowDep):
    done = {}
    action = confirmed(request, lambda: done.setdefault(
        "d", service.issue(session, actor, document_id, today=today, tz=settings.tz, now=now)), "印发")
    response = run_action(request, session, action, ok="", back=f"/bulletin-documents/{document_id}")
    if "d" in done and request.state.form.get("confirm") == "1":
        return redirect(request, f"/bulletin-documents/{document_id}", f"已印发为{done['d'].year}年第{done['d'].number}期")
    return response
