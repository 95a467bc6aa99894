"""Bulletins issued as numbered documents (第N期 unique per office and year) and issued 督办单,
each kept with the bytes of the .docx it was issued as.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 06:43:39.712461
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bulletin_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('issued_at', service.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_bulletin_documents_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_bulletin_documents_issued_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_bulletin_documents_office_id_offices')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_bulletin_documents_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_documents')),
    sa.UniqueConstraint('office_id', 'year', 'number', name='uq_bulletin_documents_number')
    )
    with op.batch_alter_table('bulletin_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_documents_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_documents_plan_id'), ['plan_id'], unique=False)

    op.create_table('supervision_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('answer_by', sa.Date(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_supervision_notices_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_supervision_notices_department_id_departments')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_supervision_notices_issued_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_supervision_notices_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_supervision_notices_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_notices'))
    )
    with op.batch_alter_table('supervision_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_notices_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_notices_department_id'), ['department_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('supervision_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_notices_department_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_notices_assignment_id'))

    op.drop_table('supervision_notices')
    with op.batch_alter_table('bulletin_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_documents_plan_id'))
        batch_op.drop_index(batch_op.f('ix_bulletin_documents_office_id'))

    op.drop_table('bulletin_documents')
