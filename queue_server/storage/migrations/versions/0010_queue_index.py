"""queue index covers the queue's reads: priority weight and target window join it

Revision ID: 0010_queue_index
Revises: 0009_report_days
Create Date: 2026-12-04 23:30:00

Every issue counts the people ahead of the new ticket (estimates._POSITION), and every call-next ranks the heads
of the window's queues (routing._HEADS). Both read `priority_weight`, and the heads also read `target_window_id`.
Neither column was in the index, so SQLite fetched each waiting ticket's table row. At 3,000 waiting an issue
then cost 2.5-3.4 ms of CPU, against 1.5 ms at 300 (docs/benchmarks.md). With both columns in the index, these
reads never touch the table. Rebuilding the index reads the tickets table once: about 1.3 s per million tickets
of history on SQLite.
"""

from __future__ import annotations

from alembic import op

revision = '0010_queue_index'
down_revision = '0009_report_days'
branch_labels = None
depends_on = None

OLD = ['hall_id', 'status', 'service_id', 'queued_at']
NEW = ['hall_id', 'status', 'service_id', 'priority_weight', 'target_window_id', 'queued_at']


def upgrade() -> None:
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', NEW, unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', OLD, unique=False)
