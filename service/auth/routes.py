from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service.auth.models import ROLES
from service.auth.service import authenticate, create_user, issue_token, revoke_token
from service.dependencies import ActorDep, NowDep, SessionDep, SettingsDep
from service.text import Line

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: Line = Field(min_length=1, max_length=100)
    password: Line = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserCreate(BaseModel):
    username: Line = Field(min_length=1, max_length=100)
    password: Line = Field(min_length=1, max_length=200)
    role: Annotated[Line, Field(description=f"one of {', '.join(ROLES)}")]
    department_id: int | None = None
    display_name: Line | None = Field(default=None, max_length=100)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    office_id: int
    department_id: int | None


@router.post("/auth/token", response_model=TokenResponse)
def login(body: TokenRequest, session: SessionDep, now: NowDep, settings: SettingsDep):
    user = authenticate(
        session, body.username, body.password, now=now, attempts_per_minute=settings.login_attempts_per_minute
    )
    return TokenResponse(access_token=issue_token(session, user, now=now, name="api login"))


@router.post("/auth/logout", status_code=204)
def logout(request: Request, actor: ActorDep, session: SessionDep, now: NowDep):
    """Revokes the bearer token the request was made with."""
    _, _, raw = request.headers.get("authorization", "").partition(" ")
    revoke_token(session, raw.strip(), now=now)


@router.get("/me", response_model=UserOut)
def me(actor: ActorDep, session: SessionDep):
    from service.auth.models import User

    return UserOut.model_validate(session.get(User, actor.user_id), from_attributes=True)


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(body: UserCreate, actor: ActorDep, session: SessionDep, now: NowDep):
    user = create_user(
        session,
        actor,
        username=body.username,
        password=body.password,
        role=body.role,
        department_id=body.department_id,
        display_name=body.display_name,
        now=now,
    )
    return UserOut.model_validate(user, from_attributes=True)
