"""Indicators (指标) and their readings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 07:55:45.433809
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('comparison', sa.String(length=30), nullable=False),
    sa.Column('target_value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('baseline_value', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_indicators_department_id_departments')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_indicators_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators'))
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicators_plan_id'), ['plan_id'], unique=False)

    op.create_table('indicator_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reported_by', sa.Integer(), nullable=True),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_readings_indicator_id_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by'], ['users.id'], name=op.f('fk_indicator_readings_reported_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_readings'))
    )
    with op.batch_alter_table('indicator_readings', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_readings_latest', ['indicator_id', 'as_of', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('indicator_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_readings_latest')

    op.drop_table('indicator_readings')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicators_plan_id'))
        batch_op.drop_index(batch_op.f('ix_indicators_department_id'))

    op.drop_table('indicators')
