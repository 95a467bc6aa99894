"""Calendar days: the holiday schedule (节假日安排) entered in the app

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 10:13:21.707871
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_calendar_days_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )


def downgrade() -> None:
    op.drop_table('calendar_days')
