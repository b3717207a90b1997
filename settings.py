"""Every ChannelHub knob in one pydantic-settings class.

Values come from the environment (prefix ``CHANNELHUB_``) or a ``.env`` file. This module
imports nothing of ours, so any layer may read settings without import cycles.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANNELHUB_", env_file=".env", extra="ignore")

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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'channelhub.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate
