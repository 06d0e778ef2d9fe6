"""window time per leg: ticket_legs.occupied_s (first call -> end, no-shows included)

Revision ID: 0008_window_time
Revises: 0007_config
Create Date: 2026-11-28 09:30:00

The wait estimate learned from service_s (start -> end of served legs), which leaves out the walk to the window,
recalls and the minutes a clerk waits for a citizen who never comes: a window's real time per ticket. The new
column is filled for existing legs from their own call and end times, so an upgraded hall's estimates use the
new figure at once. Added in place (no table rebuild on SQLite), as ticket_legs may hold years of history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_window_time'
down_revision = '0007_config'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ticket_legs', sa.Column('occupied_s', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        seconds = "(julianday(ended_at) - julianday(called_at)) * 86400.0"
    else:
        seconds = "extract(epoch from ended_at - called_at)"
    op.execute(f"UPDATE ticket_legs SET occupied_s = CAST(round({seconds}) AS INTEGER) WHERE called_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('ticket_legs', schema=None) as batch_op:
        batch_op.drop_column('occupied_s')
