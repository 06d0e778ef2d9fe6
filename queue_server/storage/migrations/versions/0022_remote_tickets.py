"""线上取号 (issue 21, point 4): a ticket taken from a phone before its citizen is in the hall, its arrival and
the moment it stood unconfirmed at the head of its queue; a hall's grace time and walk-over distance

Revision ID: 0022_remote_tickets
Revises: 0018_person_keys
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0022_remote_tickets'
down_revision = '0021_queue_seek'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: SQLite's batch copy would drop the old tickets table, and its ON DELETE
    # CASCADE would take every ticket leg and log entry with it.
    stamp = queue_server.storage.models.UTCDateTime(timezone=True)
    op.add_column('tickets', sa.Column('remote', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('tickets', sa.Column('arrived_at', stamp, nullable=True))
    op.add_column('tickets', sa.Column('arrived_via', sa.String(length=16), nullable=True))
    op.add_column('tickets', sa.Column('held_at', stamp, nullable=True))
    op.add_column('halls', sa.Column('remote_grace_min', sa.Integer(), server_default='10', nullable=False))
    op.add_column('halls', sa.Column('remote_walk_ahead', sa.Integer(), server_default='5', nullable=False))


def downgrade() -> None:
    for table, column in (('halls', 'remote_walk_ahead'), ('halls', 'remote_grace_min'), ('tickets', 'held_at'),
                          ('tickets', 'arrived_via'), ('tickets', 'arrived_at'), ('tickets', 'remote')):
        op.drop_column(table, column)
