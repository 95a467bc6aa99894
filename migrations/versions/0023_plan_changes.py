"""plan_changes: a per-plan change counter kept by triggers, so the dashboard knows whether
its cached figures and fragments are still current without reading every milestone.

Every insert, delete or update of a plan or of its phases, tasks, measures, assignments,
milestones, progress reports and extension requests (of a milestone: any column but
`next_reminder_at` and `updated_at`, which the reminder scan writes and no page reads)
adds to the plan's count. The version of a set of plans is the sum of their counts: it grows whenever a
transaction that changed one of them commits, whatever the commit order.

- SQLite (one writer at a time): one row per plan, incremented in place.
- PostgreSQL (concurrent writers): append-only, so no transaction ever waits on another's
  counter row (no lock queue, no deadlock): inserts and deletes add one row per plan and
  statement (transition tables), updates one row per changed row;
  `service.plans.versions.compact` folds a plan's rows into one, keeping the sum.

Existing data: no rows (a plan without rows has version 0); running processes recompute
their figures once. `milestones.changes` and its index (0018, 0021), what the dashboard was
cached by before, go: they were updated with every write of the reminder scan.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 10:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Milestone columns whose change changes what a page shows (not the scan's bookkeeping).
MILESTONE_COLUMNS = (
    'assignment_id', 'phase_id', 'plan_id', 'department_id', 'due_date', 'due_version', 'state',
    'acknowledged_at', 'submitted_at', 'approved_at', 'created_at',
)
# table -> the SQL of its plan's id for a row `{row}` (NEW or OLD; a transition table's alias on PostgreSQL)
PLAN_OF = {
    'plans': '{row}.id',
    'phases': '{row}.plan_id',
    'tasks': '{row}.plan_id',
    'measures': '{row}.plan_id',
    'milestones': '{row}.plan_id',
    'assignments': '(SELECT measures.plan_id FROM measures WHERE measures.id = {row}.measure_id)',
    'progress_reports': '(SELECT measures.plan_id FROM assignments JOIN measures ON measures.id = assignments.measure_id'
                        ' WHERE assignments.id = {row}.assignment_id)',
    'extension_requests': '(SELECT milestones.plan_id FROM milestones WHERE milestones.id = {row}.milestone_id)',
}


def _sqlite_trigger(table: str, event: str) -> str:
    row = 'OLD' if event == 'DELETE' else 'NEW'
    plan = PLAN_OF[table].format(row=row)
    on = f'UPDATE OF {", ".join(MILESTONE_COLUMNS)}' if (table, event) == ('milestones', 'UPDATE') else event
    return f"""
        CREATE TRIGGER trg_plan_changes_{table}_{event.lower()} AFTER {on} ON {table} FOR EACH ROW
        WHEN {plan} IS NOT NULL
        BEGIN
            INSERT INTO plan_changes (plan_id, n) SELECT {plan}, 0
                WHERE NOT EXISTS (SELECT 1 FROM plan_changes WHERE plan_id = {plan});
            UPDATE plan_changes SET n = n + 1 WHERE plan_id = {plan};
        END
    """


def _postgres_ddl(table: str) -> list[str]:
    plan_row = PLAN_OF[table].format(row='NEW')
    plan_set = PLAN_OF[table].format(row='c')
    update_columns = f' OF {", ".join(MILESTONE_COLUMNS)}' if table == 'milestones' else ''
    return [
        f"""
        CREATE FUNCTION plan_changes_{table}_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO plan_changes (plan_id, n)
                SELECT p, count(*) FROM (SELECT {plan_set} AS p FROM changed c) s WHERE p IS NOT NULL GROUP BY p;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION plan_changes_{table}_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO plan_changes (plan_id, n) SELECT p, 1 FROM (SELECT {plan_row} AS p) s WHERE p IS NOT NULL;
            RETURN NULL;
        END $$
        """,
        f"""CREATE TRIGGER trg_plan_changes_{table}_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changes_{table}_rows()""",
        f"""CREATE TRIGGER trg_plan_changes_{table}_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION plan_changes_{table}_rows()""",
        f"""CREATE TRIGGER trg_plan_changes_{table}_update AFTER UPDATE{update_columns} ON {table}
            FOR EACH ROW EXECUTE FUNCTION plan_changes_{table}_row()""",
    ]


def upgrade() -> None:
    op.drop_index('ix_milestones_plan_changes', table_name='milestones')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('changes')
    op.create_table(
        'plan_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_changes')),
    )
    op.create_index('ix_plan_changes_plan_id_n', 'plan_changes', ['plan_id', 'n'])
    if op.get_bind().dialect.name == 'postgresql':
        for table in PLAN_OF:
            for statement in _postgres_ddl(table):
                op.execute(statement)
    else:
        for table in PLAN_OF:
            for event in ('INSERT', 'DELETE', 'UPDATE'):
                op.execute(_sqlite_trigger(table, event))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in PLAN_OF:
        for event in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS trg_plan_changes_{table}_{event}' + (f' ON {table}' if postgres else ''))
        if postgres:
            op.execute(f'DROP FUNCTION IF EXISTS plan_changes_{table}_rows()')
            op.execute(f'DROP FUNCTION IF EXISTS plan_changes_{table}_row()')
    op.drop_index('ix_plan_changes_plan_id_n', table_name='plan_changes')
    op.drop_table('plan_changes')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_milestones_plan_changes', 'milestones', ['plan_id', 'changes'])
