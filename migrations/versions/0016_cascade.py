"""上下级联动: a parent office's unit can stand for a child office (departments.represents_office_id),
and a child office's measure can carry out an issued 督办件 of its parent (measures.parent_assignment_id),
with the reason the parent sees when its deadline is later than the parent's (measures.late_reason).

Existing data: nothing stands for an office and nothing is issued until an office maps it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 07:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('represents_office_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_departments_represents_office_id_offices', 'offices', ['represents_office_id'], ['id']
        )
        batch_op.create_index('ix_departments_represents_office_id', ['represents_office_id'])
        batch_op.create_unique_constraint(
            'uq_departments_office_id_represents_office_id', ['office_id', 'represents_office_id']
        )
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_assignment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('late_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            'fk_measures_parent_assignment_id_assignments', 'assignments', ['parent_assignment_id'], ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index('ix_measures_parent_assignment_id', ['parent_assignment_id'])


def downgrade() -> None:
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_index('ix_measures_parent_assignment_id')
        batch_op.drop_constraint('fk_measures_parent_assignment_id_assignments', type_='foreignkey')
        batch_op.drop_column('late_reason')
        batch_op.drop_column('parent_assignment_id')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_departments_office_id_represents_office_id', type_='unique')
        batch_op.drop_index('ix_departments_represents_office_id')
        batch_op.drop_constraint('fk_departments_represents_office_id_offices', type_='foreignkey')
        batch_op.drop_column('represents_office_id')
