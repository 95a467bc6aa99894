"""The own account (账户): who one is, and changing one's own password."""

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.models import User
from service.auth.service import MIN_PASSWORD_LENGTH, change_password
from service.departments.models import Department
from service.dependencies import SESSION_COOKIE, ClientAddressDep, NowDep, SessionDep, SettingsDep
from service.errors import DomainError
from service.offices.models import Office
from service.web.render import redirect, render
from service.web.session import ACCOUNT_PAGE, PageActorDep
from service.web.users import USER_ROLE_LABELS

router = APIRouter()


def _render_account(request: Request, session: Session, actor: Actor, error: str | None = None, status_code: int = 200):
    user = session.get(User, actor.user_id)
    department = session.get(Department, user.department_id) if user.department_id else None
    return render(
        request,
        "account.html",
        {
            "user": user,
            "office_name": session.get(Office, user.office_id).name,
            "department_name": department.name if department else None,
            "role_label": USER_ROLE_LABELS.get(user.role, user.role),
            "min_password": MIN_PASSWORD_LENGTH,
            "error": error,
        },
        status_code=status_code,
    )


@router.get(ACCOUNT_PAGE)
def account_page(request: Request, actor: PageActorDep, session: SessionDep):
    return _render_account(request, session, actor)


@router.post(ACCOUNT_PAGE)
def change_own_password(
    request: Request, actor: PageActorDep, session: SessionDep, now: NowDep, settings: SettingsDep,
    source: ClientAddressDep,
):
    """A refused change shows the form again with the reason; the typed passwords are never sent back."""
    form = request.state.form
    new_password = str(form.get("new_password") or "")
    if new_password != str(form.get("confirm_password") or ""):
        return _render_account(request, session, actor, "两次输入的新密码不一致", status_code=422)
    try:
        change_password(
            session, actor, str(form.get("current_password") or ""), new_password, now=now, source=source,
            attempts_per_minute=settings.login_attempts_per_minute, keep_token=request.cookies.get(SESSION_COOKIE),
        )
    except DomainError as exc:
        if not exc.keep_changes:
            session.rollback()
        return _render_account(request, session, actor, exc.message, status_code=exc.status_code)
    return redirect(request, "/", "密码已修改；其他设备上的登录和 API 令牌已失效")
