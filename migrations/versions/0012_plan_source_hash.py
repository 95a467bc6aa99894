"""Plans: source_hash, the imported document's content hash, so a second import of it is noticed

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plans imported before stay without a hash: their documents are not kept as uploaded.
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_plans_office_id_source_hash', ['office_id', 'source_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index('ix_plans_office_id_source_hash')
        batch_op.drop_column('source_hash')
