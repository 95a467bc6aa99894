"""The office's user accounts: create, deactivate / reactivate, reset a password;
and its integrations' long-lived API tokens: issue, list, revoke."""

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.flows.accounts import MAX_ACCOUNT_ROWS, units_without_account
from service.auth.actor import Actor
from service.auth.models import OFFICE_ROLES, ROLE_DEPARTMENT, User
from service.auth.service import (
    MIN_PASSWORD_LENGTH,
    create_user,
    issue_service_token,
    list_service_tokens,
    list_users,
    reset_password,
    revoke_service_token,
    set_user_active,
)
from service.flows.directory import list_departments
from service.dependencies import IdPath, NowDep, SessionDep
from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.web.actions import confirmed, form_int, run_action
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
USER_ROLE_LABELS = {"admin": "办公室管理员", "leader": "领导（只读）", "department": "单位用户", "operator": "系统运维"}


@router.get("/users")
def users_page(request: Request, actor: PageActorDep, session: SessionDep):
    return render_users_page(request, session, actor)


def render_users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: dict | None = None,
    typed: dict | None = None,
    error: str | None = None,
    status_code: int | None = None,
):
    """The users page. A refused form comes back (422): `errors` puts a bulk form's
    message beside its field; `typed` and `error` refill the new-user form as typed
    (but the password) with the reason."""
    users = list_users(session, actor)
    departments = [d for d in list_departments(session, actor) if d.office_id == actor.office_id]
    return render(
        request,
        "users.html",
        {
            "users": users,
            # Names an import proposed are no units yet: nobody can be bound to them.
            "departments": [d for d in departments if d.confirmed],
            "names": {d.id: d.name for d in departments},
            "role_labels": USER_ROLE_LABELS,
            "roles": OFFICE_ROLES,
            "tokens": list_service_tokens(session, actor),
            "usernames": {u.id: u.username for u in users},
            "min_password": MIN_PASSWORD_LENGTH,
            "without_account": units_without_account(session, actor.office_id),
            "max_rows": MAX_ACCOUNT_ROWS,
            "errors": errors or {},
            "typed": typed or {},
            "error": error,
        },
        status_code=status_code or (422 if error or errors else 200),
    )


@router.post("/users")
def add_user(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    role = str(form.get("role") or "")
    username = str(form.get("username") or "").strip()
    department_id = form_int(form.get("department_id")) if role == ROLE_DEPARTMENT else None

    actor.require_admin()
    try:
        if role == ROLE_DEPARTMENT and department_id is None:
            raise Invalid("单位用户必须选择所属单位")
        create_user(
            session, actor, username=username, password=str(form.get("password") or ""), role=role,
            department_id=department_id, display_name=str(form.get("display_name") or "").strip() or None, now=now,
        )
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf_token", "password")}
        return render_users_page(request, session, actor, typed=typed, error=exc.message)
    return redirect(request, "/users", f"已创建用户 {username}，其首次登录后须修改初始密码")


@router.post("/users/{user_id}/active")
def change_active(request: Request, user_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    active = request.state.form.get("active") == "1"

    def change():
        set_user_active(session, actor, user_id, active, now=now)

    return run_action(
        request, session, change if active else confirmed(request, change, "停用"),
        ok="已启用该用户" if active else "已停用该用户，其登录已全部失效", back=f"/users#user-{user_id}",
    )


@router.post("/users/{user_id}/password")
def change_password(request: Request, user_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    password = str(request.state.form.get("password") or "")
    return run_action(
        request, session, lambda: reset_password(session, actor, user_id, password, now=now),
        ok="密码已重置，该用户用新密码登录后须先修改密码", back=f"/users#user-{user_id}",
    )


@router.post("/tokens")
def add_token(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    """An integration token, shown on this answer only."""
    form = request.state.form
    days = form_int(form.get("days"))
    try:
        raw, token = issue_service_token(
            session, actor, form_int(form.get("user_id"), 0), name=str(form.get("name") or ""), days=days, now=now
        )
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        session.rollback()
        return redirect(request, "/users#tokens", exc.message, kind="error")
    return render(request, "token_issued.html", {"token": raw, "row": token,
                                                  "username": session.get(User, token.user_id).username})


@router.post("/tokens/{token_id}/revoke")
def revoke_token_page(request: Request, token_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    return run_action(request, session, lambda: revoke_service_token(session, actor, token_id, now=now),
                      ok="令牌已吊销，使用它的系统将无法再调用接口", back="/users#tokens")
