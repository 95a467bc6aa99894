"""Office names are unique across the deployment: `duban office create`, `duban user
create --office` and the operator's API find an office by its name.

Existing data: a deployment whose offices share a name must rename one before upgrading.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 05:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_offices_name'), ['name'])


def downgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_offices_name'), type_='unique')
