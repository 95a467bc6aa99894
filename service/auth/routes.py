from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service.auth.models import ROLES, User
from service.auth.service import authenticate, change_password, create_user, issue_token, revoke_token
from service.dependencies import (
    AccountActorDep, ActorDep, ClientAddressDep, NowDep, SessionDep, SettingsDep, request_credential,
)
from service.ids import Id
from service.text import Line

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: Line = Field(min_length=1, max_length=100)
    password: Line = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    must_change_password: bool = Field(
        description="the password was set by an admin: until POST /me/password, other calls answer 403"
    )


class PasswordChange(BaseModel):
    current_password: Line = Field(min_length=1, max_length=200)
    new_password: Line = Field(min_length=1, max_length=200)


class UserCreate(BaseModel):
    username: Line = Field(min_length=1, max_length=100)
    password: Line = Field(min_length=1, max_length=200)
    role: Annotated[Line, Field(description=f"one of {', '.join(ROLES)}")]
    department_id: Id | None = None
    display_name: Line | None = Field(default=None, max_length=100)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    office_id: int
    department_id: int | None
    must_change_password: bool
    password_changed_at: datetime | None


@router.post("/auth/token", response_model=TokenResponse)
def login(body: TokenRequest, session: SessionDep, now: NowDep, settings: SettingsDep, source: ClientAddressDep):
    user = authenticate(
        session, body.username, body.password, source=source, now=now,
        attempts_per_minute=settings.login_attempts_per_minute,
    )
    return TokenResponse(
        access_token=issue_token(session, user, now=now, name="api login"),
        must_change_password=user.must_change_password,
    )


@router.post("/auth/logout", status_code=204)
def logout(request: Request, actor: AccountActorDep, session: SessionDep, now: NowDep):
    """Revokes the bearer token the request was made with."""
    _, _, raw = request.headers.get("authorization", "").partition(" ")
    revoke_token(session, raw.strip(), now=now)


@router.get("/me", response_model=UserOut)
def me(actor: AccountActorDep, session: SessionDep):
    return UserOut.model_validate(session.get(User, actor.user_id), from_attributes=True)


@router.post("/me/password", status_code=204)
def change_my_password(
    body: PasswordChange, request: Request, actor: AccountActorDep, session: SessionDep, now: NowDep,
    settings: SettingsDep, source: ClientAddressDep,
):
    """Replace the caller's own password. The token of this request stays valid;
    the caller's other tokens and web sessions end."""
    change_password(
        session, actor, body.current_password, body.new_password, now=now, source=source,
        attempts_per_minute=settings.login_attempts_per_minute, keep_token=request_credential(request),
    )


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
