"""必做/选做 across the chain: a plan's 选做申报 deadline, optional measures offered to child
offices, and each child office's choice of optional tasks.

Revision ID: 0019
Revises: 0018
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('choice_deadline', sa.Date(), nullable=True))
    op.create_table('measure_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['departments.id'], name=op.f('fk_measure_offers_group_id_departments')),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_measure_offers_measure_id_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_offers')),
    sa.UniqueConstraint('measure_id', 'group_id', name=op.f('uq_measure_offers_measure_id_group_id'))
    )
    op.create_index(op.f('ix_measure_offers_group_id'), 'measure_offers', ['group_id'], unique=False)
    op.create_index(op.f('ix_measure_offers_measure_id'), 'measure_offers', ['measure_id'], unique=False)
    op.create_table('task_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Boolean(), nullable=False),
    sa.Column('request', sa.String(length=10), nullable=True),
    sa.Column('request_reason', sa.Text(), nullable=True),
    sa.Column('refusal', sa.Text(), nullable=True),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_task_choices_office_id_offices')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_choices_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_choices')),
    sa.UniqueConstraint('task_id', 'office_id', name=op.f('uq_task_choices_task_id_office_id'))
    )
    op.create_index(op.f('ix_task_choices_office_id'), 'task_choices', ['office_id'], unique=False)
    op.create_index(op.f('ix_task_choices_task_id'), 'task_choices', ['task_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_task_choices_task_id'), table_name='task_choices')
    op.drop_index(op.f('ix_task_choices_office_id'), table_name='task_choices')
    op.drop_table('task_choices')
    op.drop_index(op.f('ix_measure_offers_measure_id'), table_name='measure_offers')
    op.drop_index(op.f('ix_measure_offers_group_id'), table_name='measure_offers')
    op.drop_table('measure_offers')
    with op.batch_alter_table('plans') as batch:
        batch.drop_column('choice_deadline')
