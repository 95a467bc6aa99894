"""Revocable credentials: per-department calendar feed secrets, service tokens
issued by an admin, and a lifetime for API tokens that had none; an office's
local days off (office_calendar_days)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:30:00.000000
"""
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default DUBAN_TOKEN_TTL_DAYS. Tokens from logins before this release never
# expired; nobody can tell which of them an integration depends on, so each
# gets the default lifetime from now: integrations keep working for a month,
# in which an admin issues them a listed, revocable service token.
EXISTING_TOKEN_LIFETIME = timedelta(days=30)


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_calendar_feeds_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_calendar_feeds_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    op.create_table('office_calendar_days',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_calendar_days_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_office_calendar_days_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('office_id', 'day', name=op.f('pk_office_calendar_days'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_created_by_users'), 'users', ['created_by'], ['id'], ondelete='SET NULL')
    tokens = sa.table('api_tokens', sa.column('expires_at', service.database.UTCDateTime()))
    op.execute(
        tokens.update().where(tokens.c.expires_at.is_(None))
        .values(expires_at=datetime.now(timezone.utc) + EXISTING_TOKEN_LIFETIME)
    )


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_created_by_users'), type_='foreignkey')
        batch_op.drop_column('created_by')
    op.drop_table('office_calendar_days')
    op.drop_table('calendar_feeds')
