"""report days: each closed business day's report figures per grouping, kept for fast month reports

Revision ID: 0009_report_days
Revises: 0008_window_time
Create Date: 2026-12-01 20:30:00

A new table only; it starts empty and fills as reports are asked for (stats.py), so upgrading a hall with years
of history costs nothing at start-up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0009_report_days'
down_revision = '0008_window_time'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_days',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hall_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_on', sa.Date(), nullable=False),
    sa.Column('grouping', sa.String(length=8), nullable=False),
    sa.Column('stamp', sa.String(length=96), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('built_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_report_days_hall_id_halls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_days')),
    sa.UniqueConstraint('hall_id', 'service_on', 'grouping', name='uq_report_days_day')
    )


def downgrade() -> None:
    op.drop_table('report_days')
