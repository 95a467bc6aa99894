"""Accounts for many units at once on the users page: initial passwords shown
once, on a page no cache keeps, with a download for handing them out."""

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from service.flows.accounts import (
    MAX_ACCOUNT_FILE_BYTES,
    ROLE_NAMES,
    IssuedAccount,
    create_unit_accounts,
    handout_csv,
    handout_xlsx,
    import_accounts,
)
from service.auth.models import User
from service.dependencies import NowDep, SessionDep, SettingsDep
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.web.render import render
from service.web.session import PageActorDep
from service.web.users import render_users_page

router = APIRouter()
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_STORE = {"Cache-Control": "no-store"}


def _issued_page(request: Request, issued: list[IssuedAccount]):
    response = render(request, "accounts_issued.html", {"issued": issued, "role_names": ROLE_NAMES})
    response.headers.update(NO_STORE)
    return response


def _refused(request, session, actor, field: str, exc: DomainError):
    if isinstance(exc, (NotFound, Forbidden)):
        raise exc
    session.rollback()
    return render_users_page(request, session, actor, errors={field: exc.message}, status_code=exc.status_code)


@router.post("/users/unit-accounts")
def unit_accounts(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    try:
        issued = create_unit_accounts(session, actor, now=now)
    except DomainError as exc:
        return _refused(request, session, actor, "unit_accounts", exc)
    return _issued_page(request, issued)


@router.post("/users/import")
async def upload_accounts(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    document = request.state.form.get("document")
    try:
        actor.require_admin()
        if not isinstance(document, UploadFile) or not document.filename:
            raise Invalid("请选择要上传的 .xlsx 文件")
        issued = import_accounts(session, actor, await document.read(MAX_ACCOUNT_FILE_BYTES + 1), now=now)
    except DomainError as exc:
        return _refused(request, session, actor, "import", exc)
    return _issued_page(request, issued)


@router.post("/users/handout.{kind}")
def handout(request: Request, kind: str, actor: PageActorDep, session: SessionDep, settings: SettingsDep):
    """The accounts just shown, as a file: the page posts back what it shows. Only
    accounts of the own office still waiting for their first password change are
    written out, so this is no general-purpose spreadsheet maker."""
    actor.require_admin()
    if kind not in ("xlsx", "csv"):
        raise NotFound("没有这种格式的下载")
    form = request.state.form
    columns = [form.getlist(key) for key in ("unit", "name", "role", "username", "password")]
    rows = [IssuedAccount(*values) for values in zip(*columns, strict=False)]
    fresh = set(
        session.scalars(
            select(User.username).where(
                User.office_id == actor.office_id, User.must_change_password.is_(True),
                User.username.in_([r.username for r in rows]),
            )
        )
    )
    rows = [r for r in rows if r.username in fresh]
    headers = NO_STORE | {"Content-Disposition": f'attachment; filename="accounts.{kind}"'}
    if kind == "xlsx":
        return Response(handout_xlsx(rows, f"{settings.base_url.rstrip('/')}/login"), media_type=XLSX_TYPE, headers=headers)
    return Response(handout_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
