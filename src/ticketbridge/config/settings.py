"""Environment settings (`TICKETBRIDGE_*`), read by `load_settings()`, never at import.

The one place the process environment is read: the server's settings and the outbox workers'
(`JOB_LEASE_SECONDS`, `JOB_SETTLE_SECONDS`, `JOB_CRASH_LIMIT`, `DONE_JOB_RETENTION_DAYS`, which
`bootstrap` turns into `services.WorkerSettings`). A bad value is a ConfigError naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ticketbridge.errors import ConfigError, problems_of

_PREFIX = "TICKETBRIDGE_"

DATABASE_URL = "sqlite+aiosqlite:///./var/ticketbridge.db"
"""The service's store when TICKETBRIDGE_DATABASE_URL is unset."""
LIBRARY_DATABASE_URL = "sqlite+aiosqlite:///./var/library.db"
"""The library's store unless the script names one (kept apart from the service's)."""
# The outbox workers' defaults (services.WorkerSettings has them from here).
JOB_LEASE_SECONDS = 120.0
JOB_SETTLE_SECONDS = 5.0
JOB_CRASH_LIMIT = 5
DONE_JOB_RETENTION_DAYS = 7.0


class Settings(BaseSettings):
    """Process-level settings; everything about Jira and routing lives in ticketbridge.yaml."""

    model_config = SettingsConfigDict(
        env_prefix=_PREFIX, extra="ignore", frozen=True, case_sensitive=False
    )

    database_url: str = DATABASE_URL
    config: Path = Path("ticketbridge.yaml")
    data_dir: Path = Path("./var")
    secret_key: SecretStr | None = Field(
        default=None, description="encrypts secrets stored in the database (Fernet key)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    workers: int = Field(default=1, ge=0, le=64, description="in-process outbox workers of serve")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = Field(
        default=None, description="the URL Jira and sources reach us at (webhook registration)"
    )
    outbound_allow: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        default=(),
        description="networks every outbound request may reach besides public addresses, "
        "comma-separated CIDRs (TICKETBRIDGE_OUTBOUND_ALLOW=127.0.0.1/32,10.20.0.0/16)",
    )
    # GET /metrics: open on the API's address by default (what Prometheus expects); behind an
    # API key, or only on an address of its own that the network keeps private.
    metrics_require_key: bool = Field(
        default=False, description="GET /metrics needs an API key with the read scope"
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="serve /metrics on this port only"
    )
    metrics_host: str | None = Field(
        default=None, description="the address of metrics_port (default: TICKETBRIDGE_HOST)"
    )
    # The outbox workers. The lease must outlast a slow request (30 s read timeout): below 5 s
    # two workers would run one job; shorter than the default only for drills.
    job_lease_seconds: float = Field(
        default=JOB_LEASE_SECONDS,
        ge=5,
        le=86_400,
        allow_inf_nan=False,
        description="a job whose worker died runs again after this",
    )
    # How long after a create's deadline Jira may still finish it: the marker lookup that
    # decides whether to create again waits this long (exactly once rests on it; README).
    job_settle_seconds: float = Field(
        default=JOB_SETTLE_SECONDS,
        ge=1,
        le=600,
        allow_inf_nan=False,
        description="a create whose outcome is unknown is looked up by marker this long after "
        "its deadline",
    )
    job_crash_limit: int = Field(
        default=JOB_CRASH_LIMIT,
        ge=1,
        le=1_000,
        description="unexpected failures in a row before a job is dead-lettered",
    )
    done_job_retention_days: float = Field(
        default=DONE_JOB_RETENTION_DAYS,
        ge=0,
        le=3_650,
        allow_inf_nan=False,
        description="completed jobs are deleted after this long",
    )

    @field_validator(
        "job_lease_seconds",
        "job_settle_seconds",
        "job_crash_limit",
        "done_job_retention_days",
        "metrics_require_key",
        "metrics_port",
        "metrics_host",
        mode="before",
    )
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        # `VAR=` or `VAR= ` in a compose file or unit means "not set", as it always did here.
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault
        return value

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class _Given(Settings):
    """`Settings` from the values given only: `load_settings(env)` reads `env`, not the process
    environment too (BaseSettings reads it on every construction, `model_validate` included)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read `TICKETBRIDGE_*` from `env` (default: the process environment) now.

    Raises ConfigError naming the variable, never its value.
    """
    try:
        if env is None:
            return Settings()
        values = {
            key[len(_PREFIX) :].lower(): value
            for key, value in env.items()
            if key.upper().startswith(_PREFIX)
        }
        return _Given.model_validate(
            {k: v for k, v in values.items() if k in Settings.model_fields}
        )
    except ValidationError as err:
        problems = problems_of(err, lambda loc: _PREFIX + "_".join(map(str, loc)).upper())
        raise ConfigError("environment settings are invalid", problems) from err
