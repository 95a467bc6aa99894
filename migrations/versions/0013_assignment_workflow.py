"""督办件 workflow: assignments are signed once (signed_at, signed_by); progress reports
belong to the assignment (progress_reports, with the office's 已阅/要求补充); plans set a
reporting cycle; attachments belong to a 办结申请 or a progress report.

Existing data: an acknowledged milestone signs its assignment (at its earliest
acknowledgement), and the assignment's other checkpoints still pending count as signed
then too; existing reports stay as they are (办结申请 on their milestones).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_at', service.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('signed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_assignments_signed_by_users', 'users', ['signed_by'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporting_cycle', sa.String(length=10), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('reporting_day', sa.Integer(), nullable=True))
    op.create_table(
        'progress_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
        sa.Column('review', sa.String(length=10), nullable=True),
        sa.Column('review_comment', sa.Text(), nullable=True),
        sa.Column('reviewed_by', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', service.database.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_progress_reports_assignment_id', 'progress_reports', ['assignment_id'])
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('progress_report_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_attachments_progress_report_id', 'progress_reports', ['progress_report_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_index('ix_attachments_progress_report_id', ['progress_report_id'])

    op.execute(
        """
        UPDATE assignments SET signed_at = (
            SELECT min(m.acknowledged_at) FROM milestones m
            WHERE m.assignment_id = assignments.id AND m.acknowledged_at IS NOT NULL
        )
        WHERE EXISTS (
            SELECT 1 FROM milestones m WHERE m.assignment_id = assignments.id AND m.acknowledged_at IS NOT NULL
        )
        """
    )
    op.execute(
        """
        UPDATE milestones SET state = 'acknowledged', acknowledged_at = (
            SELECT a.signed_at FROM assignments a WHERE a.id = milestones.assignment_id
        )
        WHERE state = 'pending' AND assignment_id IN (SELECT id FROM assignments WHERE signed_at IS NOT NULL)
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM attachments WHERE report_id IS NULL")
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_progress_report_id')
        batch_op.drop_constraint('fk_attachments_progress_report_id', type_='foreignkey')
        batch_op.drop_column('progress_report_id')
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index('ix_progress_reports_assignment_id', table_name='progress_reports')
    op.drop_table('progress_reports')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('reporting_day')
        batch_op.drop_column('reporting_cycle')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_assignments_signed_by_users', type_='foreignkey')
        batch_op.drop_column('signed_by')
        batch_op.drop_column('signed_at')
