"""person keys: ID and phone hashes keyed outside the database; the salted ones that a backup gives away, erased;
and who acted at a window: a manager's or admin's call is credited to the window's clerk and recorded apart

Revision ID: 0018_person_keys
Revises: 0020_booking
Create Date: 2026-12-06 00:00:00

Until now a ticket kept SHA-256(hall salt:number) with the salt in the same database, which gives every number
back by brute force over the small space of valid ID and mobile numbers. From now on it keeps
HMAC-SHA256(key, "hall id:number") with the key outside the database (queue_server/person_keys.py) and the key's id
in `tickets.person_key`.

An old hash cannot be turned into a keyed one without the number, which was never stored. A person hash only
serves the per-person daily limit (a limit of one service day), so:
- hashes of service days before yesterday (UTC) are erased now: they count for no limit any more, and erasing them
  is what stops a copy of the database from revealing those numbers. The masked forms (5323**********1238) stay.
- hashes of yesterday and today are marked `salted` and keep counting for today's limits; the engine re-keys a
  person's rows when that person comes again, and `hallq key rotate` erases what is left once its day is over
  and clears the hall's salt when no salted row remains.
- appointments' person hashes from before online booking (no manage token: no code path wrote them) are erased;
  an online booking's hash is keyed already and stays.
Downgrade drops the key id; erased hashes are not restored.

`tickets.acted_by` and `ticket_legs.acted_by` (nullable, no rewrite): the manager or admin whose credential called
a leg at a window; legs called before this revision have none (they stay credited as they were).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0018_person_keys'
down_revision = '0020_booking'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tickets', sa.Column('person_key', sa.String(length=16), nullable=True))
    op.add_column('tickets', sa.Column('acted_by', sa.String(length=64), nullable=True))
    op.add_column('ticket_legs', sa.Column('acted_by', sa.String(length=64), nullable=True))
    # Yesterday in UTC covers "today" in every hall's time zone at the moment of the upgrade.
    cutoff = (datetime.now(UTC) - timedelta(days=1)).date()
    tickets = sa.table('tickets', sa.column('person_hash', sa.String), sa.column('person_key', sa.String),
                       sa.column('service_on', sa.Date), sa.column('hall_id', sa.Integer))
    op.execute(tickets.update().where(tickets.c.person_hash.is_not(None), tickets.c.service_on < cutoff)
               .values(person_hash=None))
    op.execute(tickets.update().where(tickets.c.person_hash.is_not(None)).values(person_key='salted'))
    appointments = sa.table('appointments', sa.column('person_hash', sa.String), sa.column('manage_token', sa.String))
    op.execute(appointments.update().where(appointments.c.person_hash.is_not(None),
                                           appointments.c.manage_token.is_(None)).values(person_hash=None))
    halls = sa.table('halls', sa.column('id', sa.Integer), sa.column('person_salt', sa.String))
    still_salted = sa.select(tickets.c.hall_id).where(tickets.c.person_key == 'salted')
    op.execute(halls.update().where(halls.c.id.not_in(still_salted)).values(person_salt=''))


def downgrade() -> None:
    with op.batch_alter_table('ticket_legs') as batch:
        batch.drop_column('acted_by')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('acted_by')
        batch.drop_column('person_key')
