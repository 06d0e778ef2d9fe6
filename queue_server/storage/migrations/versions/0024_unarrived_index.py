"""unarrived index: the 线上取号 tickets whose citizen has not confirmed arrival, as a small partial index

Revision ID: 0024_unarrived_index
Revises: 0023_appointment_person_key
Create Date: 2026-12-06 06:45:00

The estimates count only the tickets a clerk can call (engine/queue/estimates.py): a remote ticket not yet arrived
is passed over by call-next, so it is nobody's "ahead". Filtering the counts on `remote` and `arrived_at` would
read the row of every waiting ticket (ix_tickets_queue does not hold them): call-next with 3,000 waiting went from
1.07x to 1.59x the cost with 30 waiting on SQLite (bench/call_cost.py). The counts stay covering reads of
ix_tickets_queue instead, minus the same counts over this index, which holds only the remote tickets still on
their way (a handful: a row leaves it when its citizen arrives).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_unarrived_index'
down_revision = '0023_appointment_person_key'
branch_labels = None
depends_on = None

COLUMNS = ['hall_id', 'status', 'service_id', 'priority_weight', 'queued_at', 'id']
WHERE = 'remote AND arrived_at IS NULL'


def upgrade() -> None:
    op.create_index('ix_tickets_unarrived', 'tickets', COLUMNS, sqlite_where=sa.text(WHERE),
                    postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index('ix_tickets_unarrived', table_name='tickets')
