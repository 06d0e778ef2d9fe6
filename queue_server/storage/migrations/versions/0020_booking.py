"""网上预约 (issue 21): a service's booking plan, a hall's limit of open bookings per person, and the citizen's
handle on an appointment (manage token, masked person, booked and cancelled times)

Revision ID: 0020_booking
Revises: 0017_hall_retired
Create Date: 2026-12-05 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0020_booking'
down_revision = '0017_hall_retired'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking', sa.JSON(), nullable=True))
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_open_limit', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('no_show_limit', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('no_show_suspend_days', sa.Integer(), server_default='30', nullable=False))
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_masked', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('manage_token', sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column('booked_at', queue_server.storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', queue_server.storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appointments_manage_token'), ['manage_token'])
        batch_op.create_index('ix_appointments_service_slot', ['service_id', 'slot_start'], unique=False)
        batch_op.create_index('ix_appointments_due', ['hall_id', 'status', 'slot_end'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_due')
        batch_op.drop_index('ix_appointments_service_slot')
        batch_op.drop_constraint(batch_op.f('uq_appointments_manage_token'), type_='unique')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('booked_at')
        batch_op.drop_column('manage_token')
        batch_op.drop_column('person_masked')
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_column('no_show_suspend_days')
        batch_op.drop_column('no_show_limit')
        batch_op.drop_column('booking_open_limit')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('booking')
