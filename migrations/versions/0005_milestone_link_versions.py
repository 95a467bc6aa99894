"""milestone link versions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 07:54:48.895927
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('milestone_links',
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_links_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('milestone_id', name=op.f('pk_milestone_links'))
    )


def downgrade() -> None:
    op.drop_table('milestone_links')
