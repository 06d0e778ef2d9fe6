"""server-side web sessions and failed sign-ins by address and account (issue 18); staff.password_is_demo

Revision ID: 0011_sessions
Revises: 0010_queue_index
Create Date: 2026-12-05 21:21:55

login_guards counted failures per 工号 alone, so anyone could lock a clerk out from anywhere; login_failures counts
them per address and account (storage/accounts.py). Its rows are not carried over: a lock in progress ends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import queue_server.storage.models

revision = '0011_sessions'
down_revision = '0010_queue_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('user_no', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', queue_server.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('address', 'user_no', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_last_at'), ['last_at'], unique=False)

    op.create_table('web_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('window_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idle_s', sa.Integer(), nullable=False),
    sa.Column('ended_at', queue_server.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_web_sessions_staff_id_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_web_sessions_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_staff_open', ['staff_id', 'ended_at'], unique=False)

    op.drop_table('login_guards')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_is_demo', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('password_is_demo')

    op.create_table('login_guards',
    sa.Column('user_no', sa.VARCHAR(length=32), nullable=False),
    sa.Column('failures', sa.INTEGER(), nullable=False),
    sa.Column('locked_until', sa.DATETIME(), nullable=True),
    sa.PrimaryKeyConstraint('user_no', name=op.f('pk_login_guards'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_staff_open')

    op.drop_table('web_sessions')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_last_at'))

    op.drop_table('login_failures')
