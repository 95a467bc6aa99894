"""The holiday schedule's version is its own counter (calendar_revision), bumped by every
change to the national schedule or an office's local days, instead of being read from the
audit log.

Existing data: one row, number 0; running processes reload their calendars once.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 08:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revision_table = op.create_table(
        'calendar_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_revision')),
    )
    op.bulk_insert(revision_table, [{'id': 1, 'number': 0}])


def downgrade() -> None:
    op.drop_table('calendar_revision')
