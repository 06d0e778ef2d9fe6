"""operations: index for the rating tablet's pending leg

Revision ID: 0006_ops
Revises: 0005_monitor
Create Date: 2026-11-28 03:00:00

Without it, finding the leg a window just finished scans every leg ever recorded (millions after a few years).
"""

from __future__ import annotations

from alembic import op

revision = '0006_ops'
down_revision = '0005_monitor'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_legs', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_legs_window_end', ['window_id', 'ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_legs', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_legs_window_end')
