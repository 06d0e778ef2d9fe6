"""live notices

Revision ID: 0003_live
Revises: 0002_kiosk
Create Date: 2026-11-25 07:01:29.821322
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0003_live'
down_revision = '0002_kiosk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hall_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hall_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_hall_notices_hall_id_halls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_notices'))
    )
    with op.batch_alter_table('hall_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_notices_hall_id'), ['hall_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hall_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_notices_hall_id'))

    op.drop_table('hall_notices')
