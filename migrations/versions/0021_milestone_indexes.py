"""Indexes for the dashboard's per-view queries: (plan_id, changes) lets the figures'
version (count and sum of changes over the active plans) read the index alone, and
(state, due_date, plan_id) finds the review queue (submitted, by due date) and counts
it without reading the active plans' other milestones.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 08:10:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_milestones_plan_changes', 'milestones', ['plan_id', 'changes'])
    op.create_index('ix_milestones_state_due_plan', 'milestones', ['state', 'due_date', 'plan_id'])


def downgrade() -> None:
    op.drop_index('ix_milestones_state_due_plan', table_name='milestones')
    op.drop_index('ix_milestones_plan_changes', table_name='milestones')
