"""queue seek: two indexes so that call-next reads no more rows with 3,000 waiting than with 30

Revision ID: 0021_queue_seek
Revises: 0018_person_keys
Create Date: 2026-12-06 03:00:00

Call-next used to number every waiting ticket of the window's services to find each group's first (a scan that grew
with the queue: about 3 ms at 3,300 waiting). It now seeks each head in ix_tickets_queue (engine/queue/routing.py);
the tickets transferred to this window are the one part that index cannot seek (target_window_id comes after the
service in it), hence ix_tickets_targeted, a small partial index of only the targeted rows.

Each head is the first of its group in ix_tickets_queue's order: queue time, then id. PostgreSQL could not read it
off the index: it takes `target_window_id IS NULL` as a filter, not as an equality that keeps the order of the
columns after it, and the index had no id (SQLite keeps the rowid in every index), so it sorted the whole group on
every call. The index now orders (hall, status, service, weight, queue time, id) and carries the target window last,
still covering; nothing sought on the target window through it (tickets sent to a window come from
ix_tickets_targeted). Rebuilding it costs what 0010's did: about 1.3 s per million tickets of history on SQLite.

Every call-next also expires the hall's open tickets of past service days (engine/queue/days.py); without the day
in an index that meant reading the row of every waiting ticket. ix_tickets_open_day (hall, status, service day)
lets that UPDATE seek the past days' rows alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021_queue_seek'
down_revision = '0018_person_keys'
branch_labels = None
depends_on = None


QUEUE_0010 = ['hall_id', 'status', 'service_id', 'priority_weight', 'target_window_id', 'queued_at']
QUEUE = ['hall_id', 'status', 'service_id', 'priority_weight', 'queued_at', 'id', 'target_window_id']


def upgrade() -> None:
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', QUEUE, unique=False)
    op.create_index('ix_tickets_open_day', 'tickets', ['hall_id', 'status', 'service_on'])
    op.create_index('ix_tickets_targeted', 'tickets',
                    ['target_window_id', 'hall_id', 'status', 'service_id', 'priority_weight', 'queued_at'],
                    sqlite_where=sa.text('target_window_id IS NOT NULL'),
                    postgresql_where=sa.text('target_window_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_tickets_targeted', table_name='tickets')
    op.drop_index('ix_tickets_open_day', table_name='tickets')
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', QUEUE_0010, unique=False)
