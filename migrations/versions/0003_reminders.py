"""reminders: policies, sent-reminder ledger, workflow events, bulletin runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 07:23:16.699707
"""
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bulletin_runs',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_bulletin_runs_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('office_id', 'week_start', name=op.f('pk_bulletin_runs'))
    )
    op.create_table('reminder_policies',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=True),
    sa.Column('link_reporting', sa.Boolean(), nullable=False),
    sa.Column('link_version', sa.Integer(), nullable=False),
    sa.Column('updated_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_reminder_policies_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_reminder_policies'))
    )
    op.create_table('sent_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('due_version', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_sent_reminders_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
    sa.UniqueConstraint('milestone_id', 'due_version', 'step', 'recipient', 'channel', name='uq_sent_reminders_key')
    )
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_sent_reminders_department_kind_created', ['department_id', 'kind', 'created_at'], unique=False)

    op.create_table('workflow_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_workflow_events_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_events'))
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_events_milestone_id'), ['milestone_id'], unique=False)

    # Milestones activated before the reminder engine existed get looked at by
    # the first scan, which then sets their real next reminder time.
    milestones = sa.table("milestones", sa.column("state"), sa.column("plan_id"), sa.column("next_reminder_at"))
    plans = sa.table("plans", sa.column("id"), sa.column("status"))
    op.execute(
        milestones.update()
        .where(
            milestones.c.state.in_(("pending", "acknowledged", "returned")),
            milestones.c.next_reminder_at.is_(None),
            milestones.c.plan_id.in_(sa.select(plans.c.id).where(plans.c.status == "active")),
        )
        .values(next_reminder_at=sa.literal(datetime.now(timezone.utc).replace(tzinfo=None), sa.DateTime()))
    )


def downgrade() -> None:
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_events_milestone_id'))

    op.drop_table('workflow_events')
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_sent_reminders_department_kind_created')

    op.drop_table('sent_reminders')
    op.drop_table('reminder_policies')
    op.drop_table('bulletin_runs')
