"""Alembic environment: runs against the connection handed in by queue_server.storage.migrate (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from queue_server.storage.schema import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
