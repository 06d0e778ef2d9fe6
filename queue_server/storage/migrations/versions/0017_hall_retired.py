"""hall retired: a hall can be retired (撤销) and keep its history

Revision ID: 0017_hall_retired
Revises: 0019_pairing_codes
Create Date: 2026-12-06 00:00:00

`halls.retired_at` set means the hall issues no more tickets; its rows stay for reports and the audit log. A
nullable column: no rewrite of existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0017_hall_retired'
down_revision = '0019_pairing_codes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('halls', sa.Column('retired_at', queue_server.storage.models.UTCDateTime(timezone=True),
                                     nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('halls') as batch:
        batch.drop_column('retired_at')
