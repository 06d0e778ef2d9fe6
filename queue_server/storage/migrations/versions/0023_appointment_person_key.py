"""appointments.person_key: the id of the person key that hashed a booking's ID or mobile number, as tickets have
(0018), so a key rotation can tell which bookings and 爽约 still need a retired key (docs/security.md)

Revision ID: 0023_appointment_person_key
Revises: 0022_remote_tickets
Create Date: 2026-12-06 06:30:00

Bookings made before this revision carry a keyed hash, but which key made it was not recorded, and the key is
outside the database, so the migration cannot tell: they are marked `unrecorded`. `hallq key rotate` records the
current key for them when the ring has no retired key (then the current key is the only one that can have made
them); during a rotation they keep every retired key in the ring until their bookings and 爽约 count for nothing.
Downgrade drops the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023_appointment_person_key'
down_revision = '0022_remote_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: a batch copy of appointments is needless for a nullable column.
    op.add_column('appointments', sa.Column('person_key', sa.String(length=16), nullable=True))
    appointments = sa.table('appointments', sa.column('person_hash', sa.String), sa.column('person_key', sa.String))
    op.execute(appointments.update().where(appointments.c.person_hash.is_not(None))
               .values(person_key='unrecorded'))


def downgrade() -> None:
    op.drop_column('appointments', 'person_key')
