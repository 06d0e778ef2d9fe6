"""tickets autovacuum: PostgreSQL vacuums the tickets table after every thousand changes, not a fifth of the table

Revision ID: 0025_tickets_autovacuum
Revises: 0024_unarrived_index
Create Date: 2026-12-06 14:00:00

The waiting counts that every call and issue read (engine/queue/estimates.py) are index-only scans of
ix_tickets_queue, and an index-only scan reads the table's row wherever the page is not marked all-visible, which
only VACUUM does. PostgreSQL's default autovacuum waits for a fifth of the table to change: with a year of history
(a million tickets) that is weeks of a hall's tickets, so today's queue would be read row by row all day. On the
bench's unvacuumed table a call with 3,000 waiting cost 1.43x one with 30, 1.03x after VACUUM (bench/call_cost.py,
docs/benchmarks.md). A thousand changes is a few times an hour in a busy hall, and each run reads only the pages
changed since the last (the visibility map). SQLite has no such setting and needs none: its indexes hold what the
counts read.
"""

from __future__ import annotations

from alembic import op

revision = '0025_tickets_autovacuum'
down_revision = '0024_unarrived_index'
branch_labels = None
depends_on = None

SETTINGS = {
    'autovacuum_vacuum_scale_factor': '0',
    'autovacuum_vacuum_threshold': '1000',
    'autovacuum_vacuum_insert_scale_factor': '0',
    'autovacuum_vacuum_insert_threshold': '1000',
}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE tickets SET (' + ', '.join(f'{k} = {v}' for k, v in SETTINGS.items()) + ')')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE tickets RESET (' + ', '.join(SETTINGS) + ')')
