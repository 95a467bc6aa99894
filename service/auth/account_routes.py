"""The API side of opening accounts for many units at once."""

from dataclasses import asdict

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from service.flows.accounts import MAX_ACCOUNT_FILE_BYTES, create_unit_accounts, import_accounts
from service.dependencies import ActorDep, NowDep, SessionDep
from service.errors import Invalid

router = APIRouter(tags=["users"])
_ENVELOPE_BYTES = 64 * 1024


def _issued(accounts) -> dict:
    """The initial passwords are in this answer only: they are stored hashed."""
    return {"accounts": [asdict(a) for a in accounts]}


@router.post("/users/unit-accounts", status_code=201)
def unit_accounts(actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    """One department account, with a generated initial password, for every unit that has none."""
    return _issued(create_unit_accounts(session, actor, now=now))


@router.post(
    "/users/import",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                }
            }
        }
    },
)
async def import_users(request: Request, actor: ActorDep, session: SessionDep, now: NowDep) -> dict:
    """Accounts from an .xlsx (单位, 姓名, 手机, 邮箱, 角色[, 用户名]); all or nothing."""
    actor.require_admin()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("请用 multipart/form-data 在字段 file 中上传 .xlsx 文件")
    size = 0

    async def capped():
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_ACCOUNT_FILE_BYTES + _ENVELOPE_BYTES:
                raise Invalid(f"文件太大：上限为 {MAX_ACCOUNT_FILE_BYTES // (1024 * 1024)} MB")
            yield chunk

    form = await MultiPartParser(request.headers, capped(), max_files=1, max_fields=5).parse()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("请在表单字段 file 中上传 .xlsx 文件")
    return _issued(import_accounts(session, actor, await upload.read(), now=now))
