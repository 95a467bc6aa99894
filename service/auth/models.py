from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from service.database import Base, UTCDateTime, utcnow

ROLE_ADMIN = "admin"
ROLE_DEPARTMENT = "department"
ROLE_LEADER = "leader"
# The deployment's operator: owns what every office shares (the national holiday
# schedule) and does no office's work; created from the command line.
ROLE_OPERATOR = "operator"
OFFICE_ROLES = (ROLE_ADMIN, ROLE_DEPARTMENT, ROLE_LEADER)  # what an office's admin gives
ROLES = (*OFFICE_ROLES, ROLE_OPERATOR)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when someone else chose the password (an admin creating the account or
    # resetting it): it is temporary and must be changed before any other work.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the password was last set, by anyone; None for accounts older than this column.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


TOKEN_KIND_API = "api"
TOKEN_KIND_SESSION = "session"  # the web UI's login cookie, revoked on logout
# Issued by an admin for an integration's account, with a lifetime the admin
# chooses (or none): listed for the office's admins, who revoke it there.
TOKEN_KIND_SERVICE = "service"


class ApiToken(Base):
    """A bearer credential. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=TOKEN_KIND_API)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The admin who issued a service token; None for a user's own logins.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Failed logins, counted per client address and per username to rate-limit
    guessing across replicas (service/auth/service.py, check_login_limit)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    # The client address (service/auth/service.py, client_address).
    source: Mapped[str] = mapped_column(String(64), index=True, server_default="")
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InstanceSecret(Base):
    """Secrets generated once per deployment (see service/auth/secrets.py)."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
