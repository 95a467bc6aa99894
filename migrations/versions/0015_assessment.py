"""考核: assessment schemes (versioned), results per period, each unit's score with its
stored lines, and corrections of published results. New tables only.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 06:44:00.749191
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assessment_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('grades', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_assessment_schemes_office_id_offices')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_assessment_schemes_plan_id_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previous_id'], ['assessment_schemes.id'], name=op.f('fk_assessment_schemes_previous_id_assessment_schemes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_schemes'))
    )
    with op.batch_alter_table('assessment_schemes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_schemes_office_id'), ['office_id'], unique=False)

    op.create_table('assessment_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ranking_public', sa.Boolean(), nullable=False),
    sa.Column('computed_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('published_at', service.database.UTCDateTime(), nullable=True),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_assessment_results_office_id_offices')),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_assessment_results_published_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scheme_id'], ['assessment_schemes.id'], name=op.f('fk_assessment_results_scheme_id_assessment_schemes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_results'))
    )
    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_results_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_results_scheme_id'), ['scheme_id'], unique=False)

    op.create_table('assessment_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('corrected_by', sa.Integer(), nullable=True),
    sa.Column('corrected_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by'], ['users.id'], name=op.f('fk_assessment_corrections_corrected_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_assessment_corrections_department_id_departments')),
    sa.ForeignKeyConstraint(['result_id'], ['assessment_results.id'], name=op.f('fk_assessment_corrections_result_id_assessment_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_corrections'))
    )
    with op.batch_alter_table('assessment_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_corrections_result_id'), ['result_id'], unique=False)

    op.create_table('assessment_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('grade', sa.String(length=20), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_assessment_scores_department_id_departments')),
    sa.ForeignKeyConstraint(['result_id'], ['assessment_results.id'], name=op.f('fk_assessment_scores_result_id_assessment_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_scores')),
    sa.UniqueConstraint('result_id', 'department_id', name=op.f('uq_assessment_scores_result_id_department_id'))
    )
    with op.batch_alter_table('assessment_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_scores_result_id'), ['result_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assessment_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_scores_result_id'))

    op.drop_table('assessment_scores')
    with op.batch_alter_table('assessment_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_corrections_result_id'))

    op.drop_table('assessment_corrections')
    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_results_scheme_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_results_office_id'))

    op.drop_table('assessment_results')
    with op.batch_alter_table('assessment_schemes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_schemes_office_id'))

    op.drop_table('assessment_schemes')
