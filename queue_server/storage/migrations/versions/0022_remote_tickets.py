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
down_revision = '0018_person_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('arrived_at', queue_server.storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('arrived_via', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('held_at', queue_server.storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_grace_min', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('remote_walk_ahead', sa.Integer(), server_default='5', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_column('remote_walk_ahead')
        batch_op.drop_column('remote_grace_min')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('held_at')
        batch_op.drop_column('arrived_via')
        batch_op.drop_column('arrived_at')
        batch_op.drop_column('remote')
