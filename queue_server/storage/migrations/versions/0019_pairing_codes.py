"""pairing codes: devices are paired once with a short-lived one-time code instead of a token in a URL

Revision ID: 0019_pairing_codes
Revises: 0014_pinyin_search
Create Date: 2026-12-06 00:00:00

`pairing_codes` holds the SHA-256 of each 8-digit code a manager makes for a device, when it ends and when (and
from where) it was used. A new table: no rewrite of existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0019_pairing_codes'
down_revision = '0014_pinyin_search'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('pairing_codes',
    sa.Column('id', ID, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('hall_id', ID, nullable=False),
    sa.Column('device_id', ID, nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_from', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_pairing_codes_device_id_devices'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_pairing_codes_hall_id_halls'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_pairing_codes_code_hash'))
    )
    op.create_index(op.f('ix_pairing_codes_device_id'), 'pairing_codes', ['device_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pairing_codes_device_id'), table_name='pairing_codes')
    op.drop_table('pairing_codes')
