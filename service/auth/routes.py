from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service.auth.models import ROLES, ApiToken, User
from service.auth.service import (
    SERVICE_TOKEN_MAX_DAYS,
    authenticate,
    change_password,
    create_user,
    issue_service_token,
    issue_token,
    list_service_tokens,
    revoke_service_token,
    revoke_token,
)
from service.dependencies import (
    AccountActorDep, ActorDep, ClientAddressDep, IdPath, NowDep, SessionDep, SettingsDep, request_credential,
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
    expires_at: datetime = Field(description="the token stops working then (DUBAN_TOKEN_TTL_DAYS after the login)")
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
    lifetime = timedelta(days=settings.token_ttl_days)
    return TokenResponse(
        access_token=issue_token(session, user, now=now, lifetime=lifetime, name="api login"),
        expires_at=now + lifetime,
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


class ServiceTokenCreate(BaseModel):
    user_id: Id = Field(description="the integration's account, a user of the admin's own office")
    name: Line = Field(min_length=1, max_length=100, description="what the token is for, shown in the list")
    days: int | None = Field(
        default=None, ge=1, le=SERVICE_TOKEN_MAX_DAYS, description="lifetime in days; none: until revoked"
    )


class ServiceTokenOut(BaseModel):
    id: int
    name: str | None
    user_id: int
    username: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ServiceTokenIssued(ServiceTokenOut):
    token: str = Field(description="shown only in this answer; only its hash is kept")


def _token_out(session, row: ApiToken, model=ServiceTokenOut, **extra) -> ServiceTokenOut:
    creator = session.get(User, row.created_by) if row.created_by else None
    return model(
        id=row.id, name=row.name, user_id=row.user_id, username=session.get(User, row.user_id).username,
        created_by=creator.username if creator else None, created_at=row.created_at,
        expires_at=row.expires_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at, **extra,
    )


@router.post("/tokens", response_model=ServiceTokenIssued, status_code=201)
def add_service_token(body: ServiceTokenCreate, actor: ActorDep, session: SessionDep, now: NowDep):
    """A long-lived token for an integration's account (admins); listed and revocable below."""
    raw, token = issue_service_token(session, actor, body.user_id, name=body.name, days=body.days, now=now)
    return _token_out(session, token, ServiceTokenIssued, token=raw)


@router.get("/tokens", response_model=list[ServiceTokenOut])
def service_tokens(actor: ActorDep, session: SessionDep):
    """The office's integration tokens, with creator, last use and expiry (admins)."""
    return [_token_out(session, t) for t in list_service_tokens(session, actor)]


@router.delete("/tokens/{token_id}", response_model=ServiceTokenOut)
def delete_service_token(token_id: IdPath, actor: ActorDep, session: SessionDep, now: NowDep):
    """Revoke an integration token at once (admins)."""
    return _token_out(session, revoke_service_token(session, actor, token_id, now=now))
