"""Every ChannelHub knob in one pydantic-settings class.

Values come from the environment (prefix ``CHANNELHUB_``) or a ``.env`` file. This module
imports nothing of ours, so any layer may read settings without import cycles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


def _url_kind(url: str) -> str:
    """The kind of service a broker or events URL names ("" and "inprocess": in-process)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else url.lower()
    return {
        "": "inprocess",
        "inprocess": "inprocess",
        "redis": "redis",
        "rediss": "redis",
        "amqp": "rabbitmq",
        "amqps": "rabbitmq",
        "postgresql": "postgresql",
        "postgres": "postgresql",
    }.get(scheme, f"unknown scheme {scheme!r}")


class Settings(BaseSettings):
    # hide_input_in_errors: a mistyped URL may carry a password; errors name the field only
    model_config = SettingsConfigDict(
        env_prefix="CHANNELHUB_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR, description="Folder for the embedded SQLite file and local keys."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means a SQLite file under data_dir.",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    auto_migrate: bool | None = Field(
        default=None,
        description="Apply migrations on start; default: on for SQLite, off for PostgreSQL.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` and `demo` bind to.")
    port: int = Field(default=8000, description="Port `serve` and `demo` bind to.")
    default_page_size: int = Field(default=50, ge=1, description="Page size without first/last.")
    max_page_size: int = Field(default=500, ge=1, description="Largest first/last accepted.")
    graphiql: bool = Field(default=True, description="Serve GraphiQL on GET /graphql.")
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Request body limit.")

    # -- identity ------------------------------------------------------------------------
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 signing secret; default: generated once into data_dir/jwt-secret.",
    )
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field(
        default="HS256", description="HS256 (local secret) or RS256/ES256 (external IdP)."
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="PEM public key verifying RS256/ES256 tokens."
    )
    jwt_jwks_file: Path | None = Field(
        default=None, description="JWKS file verifying RS256/ES256 tokens by `kid`."
    )
    jwt_issuer: str = Field(default="channelhub", description="Required `iss` claim.")
    jwt_audience: str = Field(default="channelhub", description="Required `aud` claim.")
    jwt_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew tolerated on exp/nbf/iat."
    )
    token_ttl_seconds: int = Field(
        default=8 * 3600, ge=60, description="Lifetime of tokens made by `channelhub token`."
    )

    # -- field encryption ----------------------------------------------------------------
    kek_provider: Literal["local", "aws-kms"] = Field(
        default="local", description="Where the key-encryption key lives."
    )
    keyring_file: Path | None = Field(
        default=None, description="Local KEK keyring; default data_dir/keyring.json (0600)."
    )
    aws_kms_key_id: str = Field(default="", description="KMS key id or ARN (aws-kms).")
    aws_region: str = Field(default="", description="AWS region of the KMS key (aws-kms).")
    blind_index_bits: int = Field(
        default=32, ge=8, le=256, multiple_of=8, description="Blind index length in bits."
    )

    # -- GraphQL limits ------------------------------------------------------------------
    max_query_depth: int = Field(default=12, ge=1, description="Deepest selection accepted.")
    max_query_tokens: int = Field(default=4000, ge=10, description="Most tokens in a query.")
    max_aliases: int = Field(default=30, ge=1, description="Most aliases in a query.")
    max_query_cost: int = Field(
        default=100_000, ge=1, description="Most estimated rows a query may ask for."
    )
    introspection: bool = Field(default=True, description="Allow schema introspection.")
    persisted_queries_file: Path | None = Field(
        default=None,
        description="JSON allow-list {sha256: query}; when set, only those queries run.",
    )

    # -- scheduler -----------------------------------------------------------------------
    embedded_scheduler: bool = Field(
        default=True, description="Run the cron scheduler inside `serve`/`demo`."
    )
    scheduler_interval_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="How often the scheduler looks for due runs."
    )
    scheduler_stale_run_seconds: int = Field(
        default=3600,
        ge=60,
        description="A scheduled run still QUEUED/RUNNING after this long no longer holds back "
        "the next one.",
    )
    outbox_sweep_cron: str = Field(
        default="* * * * *",
        description="Cron expression of the outbox sweep (delivers overdue entries); '' = off.",
    )
    job_requeue_after_seconds: float = Field(
        default=600.0,
        gt=0,
        description="The scheduler sends a job run again when it is still QUEUED this long "
        "after it was last sent (a broker restart or connection error lost its message); "
        "never less than job_max_backoff_ms plus one scheduler interval.",
    )

    # -- background jobs -----------------------------------------------------------------
    broker_url: str = Field(
        default="",
        description="Job broker: empty = in-process (jobs run inside serve/demo), "
        "redis://… or amqp://… to run `channelhub worker` processes anywhere.",
    )
    broker_namespace: str = Field(
        default="channelhub",
        pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,59}$",
        description="Prefix of queue names, Redis keys and event channels: hubs sharing one "
        "broker use different namespaces.",
    )
    events_url: str = Field(
        default="",
        description="Where job-run events are published: 'inprocess', redis://… or "
        "postgresql://…; default: Redis when the broker is Redis, else PostgreSQL "
        "LISTEN/NOTIFY when the database is PostgreSQL, else in-process.",
    )
    rate_limit_url: str = Field(
        default="",
        description="Redis holding the per-connector rate limits shared by every worker "
        "(redis://…); default: the broker's Redis when the broker is Redis, else per process.",
    )
    embedded_worker: bool | None = Field(
        default=None,
        description="Run a job worker inside serve/demo; default: on for the in-process broker.",
    )
    worker_threads: int = Field(
        default=8, ge=1, le=256, description="Job threads per worker process."
    )
    worker_processes: int = Field(
        default=1, ge=1, le=64, description="Processes `channelhub worker` starts by default."
    )
    worker_shutdown_seconds: float = Field(
        default=60.0,
        gt=0,
        description="On SIGTERM, how long running jobs may take to finish before the worker "
        "exits anyway (their messages return to the queue and resume from their checkpoint).",
    )
    job_max_retries: int = Field(
        default=10, ge=0, description="Retries of a job failing with a transient error."
    )
    job_min_backoff_ms: int = Field(
        default=1_000, ge=1, description="First retry delay; doubles each retry."
    )
    job_max_backoff_ms: int = Field(
        default=300_000, ge=1, description="Longest delay between two retries."
    )
    job_time_limit_seconds: float = Field(
        default=1500.0,
        gt=0,
        description="A job running longer is interrupted and retried (a sync resumes from its "
        "last page); keep it under RabbitMQ's consumer_timeout (30 min by default).",
    )
    redis_heartbeat_timeout_ms: int = Field(
        default=15_000,
        ge=1_000,
        description="Redis broker: a worker silent this long is presumed dead and the "
        "messages it held go back to their queue.",
    )
    redis_maintenance_chance: int = Field(
        default=100_000,
        ge=0,
        le=1_000_000,
        description="Redis broker: per million broker commands, how many also requeue the "
        "messages of dead workers (higher: a killed worker's jobs come back sooner).",
    )

    # -- rebates (issue 6) ---------------------------------------------------------------
    rebate_accrual_cron: str = Field(
        default="0 2 1 * *",
        description="Cron expression of the rebate accrual (accrues the month just ended, "
        "with year-to-date true-up); '' = off.",
    )

    # -- stock control (issue 6) ---------------------------------------------------------
    slow_moving_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Stock with no sale for this many days (or never sold) is slow-moving.",
    )

    # -- demand forecast (issue 7) -------------------------------------------------------
    forecast_cron: str = Field(
        default="0 3 1 * *",
        description="Cron expression of the demand forecast job (e.g. '0 3 1 * *': monthly, "
        "forecasting the current month and the next two); '' = off.",
    )

    # -- channel health (issue 7) --------------------------------------------------------
    health_score_cron: str = Field(
        default="",
        description="Cron expression of the health-score job (e.g. '0 4 1 * *': monthly, "
        "scoring the month just ended); '' = off.",
    )
    health_weights: str = Field(
        default="",
        description='Health component weights as JSON, e.g. {"target": 30, "payment": 20}; '
        "non-negative, summing to more than 0; '' = the built-in defaults.",
    )

    # -- engagement points (issue 7) -----------------------------------------------------
    purchase_points_cron: str = Field(
        default="",
        description="Cron expression of the purchase-points job (e.g. '0 5 * * *': daily, "
        "points for delivered and closed orders not yet rewarded); '' = off.",
    )

    @property
    def broker_kind(self) -> str:
        """Which broker ``broker_url`` names: "inprocess", "redis" or "rabbitmq"."""
        return _url_kind(self.broker_url)

    @property
    def resolved_events_url(self) -> str:
        """Where job-run events go: the explicit ``events_url``, else the default rule."""
        if self.events_url:
            return self.events_url
        if self.broker_kind == "redis":
            return self.broker_url
        if not self.is_sqlite:
            return self.resolved_database_url
        return "inprocess"

    @property
    def should_embed_worker(self) -> bool:
        if self.embedded_worker is None:
            return self.broker_kind == "inprocess"
        return self.embedded_worker

    @field_validator("broker_url", "events_url", "rate_limit_url")
    @classmethod
    def _known_scheme(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        kind = _url_kind(value)
        allowed = {
            "broker_url": ("inprocess", "redis", "rabbitmq"),
            "rate_limit_url": ("inprocess", "redis"),
        }.get(info.field_name or "", ("inprocess", "redis", "postgresql"))
        if kind not in allowed:
            shapes = {"redis": "redis://…", "rabbitmq": "amqp://…", "postgresql": "postgresql://…"}
            named = ", ".join(shapes[k] for k in allowed if k in shapes)
            raise ValueError(f"use an empty value (in-process) or one of {named}")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'channelhub.db').as_posix()}"

    @property
    def resolved_keyring_file(self) -> Path:
        return self.keyring_file or self.data_dir / "keyring.json"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate
