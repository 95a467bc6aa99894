"""A digest's bodies are rendered at send time: notifications get the template
and the digest's context to render them from, and no body until then.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 10:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('template', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('template_context', sa.JSON(), nullable=True))
        batch.alter_column('body_text', existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # The old code sends only stored bodies: a digest not rendered yet keeps its
    # subject as its body (its items are still in the event) rather than nothing.
    op.execute("UPDATE notifications SET body_text = subject WHERE body_text IS NULL")
    with op.batch_alter_table('notifications') as batch:
        batch.alter_column('body_text', existing_type=sa.Text(), nullable=False)
        batch.drop_column('template_context')
        batch.drop_column('template')
