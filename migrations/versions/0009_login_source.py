"""Failed logins: the client address they came from (limits per address and per user and address)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rows only matter for a minute: older ones need no address.
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_login_attempts_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_source'))
        batch_op.drop_column('source')
