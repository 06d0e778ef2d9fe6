"""configuration: per-hall voice template and repeats, departments that can be taken out of use

Revision ID: 0007_config
Revises: 0006_ops
Create Date: 2026-11-28 05:40:00

The voice columns are NULL for every existing hall: NULL means the process settings (HALLQ_VOICE_TEMPLATE,
HALLQ_VOICE_REPEATS) still apply, so upgrading changes no announcement. Departments stay referenced by old
services and 差评 cases, so they are deactivated rather than deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_config'
down_revision = '0006_ops'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voice_template', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('voice_repeats', sa.Integer(), nullable=True))

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('active')

    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_column('voice_repeats')
        batch_op.drop_column('voice_template')
