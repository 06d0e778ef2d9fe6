"""Schema migrations: upgrade to head (safe to repeat), autogenerate new revisions, compare with the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from queue_server.storage.schema import metadata

SCRIPTS = Path(__file__).with_name("migrations")


def _config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def revision(engine: Engine, message: str) -> None:
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


def pending_differences(engine: Engine) -> list[Any]:
    """What the models have that the database lacks (empty when migrations match the models)."""
    with engine.connect() as connection:
        ctx = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(ctx, metadata))
