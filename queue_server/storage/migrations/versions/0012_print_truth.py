"""print truth: reprints (补打) are marked, and ticket issues carry idempotency keys

Revision ID: 0012_print_truth
Revises: 0011_sessions
Create Date: 2026-12-06 10:00:00

`print_jobs.reprint` marks a second paper for a ticket (asked for after 打印失败), so the count of reprints per
ticket can be limited and the paper says 补打. `issue_keys` holds the Idempotency-Key of each keyed issue, so a
retried issue returns the first attempt's ticket. A column with a constant default and a new table: no rewrite of
existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0012_print_truth'
down_revision = '0011_sessions'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('print_jobs', sa.Column('reprint', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('issue_keys',
    sa.Column('id', ID, nullable=False),
    sa.Column('hall_id', ID, nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('created_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_issue_keys_hall_id_halls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_issue_keys_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_keys')),
    sa.UniqueConstraint('hall_id', 'scope', 'key', name='uq_issue_keys_key')
    )
    op.create_index('ix_issue_keys_created', 'issue_keys', ['hall_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_issue_keys_created', table_name='issue_keys')
    op.drop_table('issue_keys')
    with op.batch_alter_table('print_jobs') as batch_op:
        batch_op.drop_column('reprint')
