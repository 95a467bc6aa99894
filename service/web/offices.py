"""办公室: the operator and parent offices' admins list the offices of their chain,
create child offices and a child office's first admin."""

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.service import MIN_PASSWORD_LENGTH, create_first_admin
from service.dependencies import NowDep, SessionDep
from service.errors import DomainError, Invalid
from service.offices.service import NAME_MAX, create_office, may_staff, visible_offices
from service.web.actions import form_int
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()


@router.get("/offices")
def offices_page(request: Request, actor: PageActorDep, session: SessionDep):
    return _page(request, session, actor)


def _page(request: Request, session: Session, actor: Actor, *, form: str | None = None,
          typed: dict | None = None, errors: dict | None = None):
    """A refused form comes back (422) as typed, but the password, its reason beside its field."""
    offices = visible_offices(session, actor)
    return render(
        request,
        "offices.html",
        {
            "offices": offices,
            "names": {o.id: o.name for o in offices},
            "to_staff": [o for o in offices if may_staff(actor, o)],
            "name_max": NAME_MAX,
            "min_password": MIN_PASSWORD_LENGTH,
            "form": form,
            "typed": typed or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


def _refused(request: Request, session: Session, actor: Actor, form: str, exc: DomainError, default_field: str):
    session.rollback()
    typed = {k: v for k, v in request.state.form.items() if isinstance(v, str) and k not in ("csrf_token", "password")}
    return _page(request, session, actor, form=form, typed=typed, errors={exc.field or default_field: exc.message})


@router.post("/offices")
def add_office(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    name = str(form.get("name") or "")
    try:
        create_office(session, actor, name, form_int(form.get("parent_id")), now=now)
        session.flush()
    except DomainError as exc:
        return _refused(request, session, actor, "office", exc, "name")
    return redirect(request, "/offices", f"已创建办公室 {name.strip()}")


@router.post("/offices/admins")
def add_first_admin(request: Request, actor: PageActorDep, session: SessionDep, now: NowDep):
    form = request.state.form
    username = str(form.get("username") or "").strip()
    office_id = form_int(form.get("office_id"))
    try:
        if office_id is None:
            raise Invalid("请选择办公室", field="office_id")
        create_first_admin(session, actor, office_id, username=username,
                           password=str(form.get("password") or ""), now=now)
        session.flush()
    except DomainError as exc:
        return _refused(request, session, actor, "admin", exc, "password")
    return redirect(request, "/offices", f"已创建管理员 {username}，其首次登录后须修改初始密码")
