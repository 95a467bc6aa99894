"""Configuration: environment variables prefixed DUBAN_."""

import ipaddress
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

from notifiers import SETTINGS as NOTIFIER_SETTINGS
from notifiers import Setting


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore")

    database_url: str = "sqlite:///./duban.db"
    timezone: str = "Asia/Shanghai"
    base_url: str = "http://127.0.0.1:8000"
    # Signs CSRF tokens and milestone links. Unset: read from secret_key_file, or
    # for SQLite from a file generated beside the database (service/auth/secrets.py).
    secret_key: str | None = None
    secret_key_file: str | None = None
    # Support milestones fall due this many workdays before the lead milestone.
    support_lead_workdays: int = 5
    send_hour: int = 9
    holidays_file: str | None = None

    # The channels' settings (SMTP, robot base URLs, the webhook allowlist, the send
    # timeout) are declared by each notifier (notifiers.SETTINGS) and added below.

    login_attempts_per_minute: int = 10
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client; from
    # any other peer the header is the client's own claim and is ignored.
    trusted_proxies: Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] = Field(
        default_factory=list
    )
    # Lifetime of a token from POST /auth/token; integrations get long-lived
    # tokens from an admin instead (POST /tokens).
    token_ttl_days: int = Field(default=30, ge=1, le=3650)
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Largest plan document `POST /plans/import` and `duban plan import` accept.
    import_max_bytes: int = 20 * 1024 * 1024
    # How far a plan import expands an upload (service/plans/parser/reading.py):
    # past one of these it is refused with 413 and a message naming the limit,
    # before the rest is read. An Office file is a zip: its members' count and
    # inflated sizes are bounded, then the text, lines, rows and cells read.
    import_zip_max_members: int = 1000
    import_zip_member_max_bytes: int = 30 * 1024 * 1024
    import_zip_max_bytes: int = 100 * 1024 * 1024
    import_max_chars: int = 1_000_000
    import_max_line_chars: int = 20_000
    import_max_rows: int = 50_000
    import_max_cells: int = 200_000
    import_max_measures: int = 5_000
    # Any request body above this is refused with 413 before a route reads it.
    max_request_bytes: int = 25 * 1024 * 1024

    @model_validator(mode="before")
    @classmethod
    def _split_notifier_lists(cls, values: object) -> object:
        if isinstance(values, dict):
            for setting in NOTIFIER_SETTINGS:
                value = values.get(setting.env_name)
                if _is_list(setting) and isinstance(value, str):
                    values[setting.env_name] = [item.strip() for item in value.split(",") if item.strip()]
        return values

    @model_validator(mode="after")
    def _known_notifier_choices(self):
        for setting in NOTIFIER_SETTINGS:
            if setting.choices and getattr(self, setting.env_name) not in setting.choices:
                raise ValueError(f"DUBAN_{setting.env_name.upper()} must be one of {', '.join(setting.choices)}")
        return self

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        try:
            return [ipaddress.ip_network(item, strict=False) for item in value]
        except ValueError as exc:
            raise ValueError(f"must be comma-separated IP addresses or CIDR networks: {exc}") from None

    @field_validator("send_hour")
    @classmethod
    def _hour_of_day(cls, value: int) -> int:
        if not 0 <= value <= 23:
            raise ValueError("must be an hour from 0 to 23")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _is_list(setting: Setting) -> bool:
    return setting.type == tuple[str, ...]


def _field(setting: Setting) -> tuple[object, object]:
    """A notifier's setting as a field of Settings (a tuple is read as a comma-separated list)."""
    if _is_list(setting):
        return Annotated[list[str], NoDecode], Field(default_factory=lambda: list(setting.default))
    return setting.type, Field(default=setting.default, gt=0 if setting.positive else None)


Settings = create_model(
    "Settings",
    __base__=_Settings,
    __module__=__name__,
    __doc__="Configuration: environment variables prefixed DUBAN_, the channels' from their notifiers.",
    **{setting.env_name: _field(setting) for setting in NOTIFIER_SETTINGS},
)


@lru_cache
def get_settings() -> Settings:
    return Settings()
