"""Audit events keep no channel target; department names and aliases in their one form

Channel events recorded a robot key or webhook URL in full in before/after,
which leaders and departments read: the target is replaced by its masked
form. Department names and aliases are rewritten as normalize_name gives them
(NFKC, no format characters, no whitespace); a name that would then equal
another department's of the same office is left as it is, because merging two
departments (their assignments, users, channels) is the office's decision: the
look-up folds both forms anyway, and a new department can no longer take that
name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 03:30:00.000000
"""
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from notifiers import mask_target

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

audit_events = sa.table(
    'audit_events', sa.column('id', sa.Integer), sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.Integer), sa.column('before', sa.JSON), sa.column('after', sa.JSON),
)
channels = sa.table('channels', sa.column('id', sa.Integer), sa.column('type', sa.String))
departments = sa.table(
    'departments', sa.column('id', sa.Integer), sa.column('office_id', sa.Integer),
    sa.column('name', sa.String), sa.column('aliases', sa.JSON),
)


def _normalize(name: str) -> str:
    # A frozen copy of service.departments.service.normalize_name: a later change
    # of the rule must not change what this revision did.
    folded = unicodedata.normalize('NFKC', name)
    return ''.join(c for c in folded if not c.isspace() and unicodedata.category(c) != 'Cf')


def _scrub_channel_targets(conn) -> None:
    events = conn.execute(
        sa.select(audit_events.c.id, audit_events.c.entity_id, audit_events.c.before, audit_events.c.after)
        .where(audit_events.c.entity_type == 'channel').order_by(audit_events.c.id)
    ).all()
    types = dict(conn.execute(sa.select(channels.c.id, channels.c.type)).all())
    for event in events:  # created / deleted channels name their type
        for snapshot in (event.before, event.after):
            if isinstance(snapshot, dict) and snapshot.get('type'):
                types.setdefault(event.entity_id, snapshot['type'])
    for event in events:
        changed = {}
        for column in ('before', 'after'):
            snapshot = getattr(event, column)
            if isinstance(snapshot, dict) and isinstance(snapshot.get('target'), str):
                masked = mask_target(types.get(event.entity_id, ''), snapshot['target'])
                if masked != snapshot['target']:
                    changed[column] = {**snapshot, 'target': masked}
        if changed:
            conn.execute(audit_events.update().where(audit_events.c.id == event.id).values(**changed))


def _normalize_departments(conn) -> None:
    rows = conn.execute(
        sa.select(departments.c.id, departments.c.office_id, departments.c.name, departments.c.aliases)
        .order_by(departments.c.id)
    ).all()
    taken = {(row.office_id, row.name) for row in rows}
    for row in rows:
        values = {}
        name = _normalize(row.name)
        if name and name != row.name and (row.office_id, name) not in taken:
            taken.discard((row.office_id, row.name))
            taken.add((row.office_id, name))
            values['name'] = name
        aliases = sorted({_normalize(a) for a in row.aliases or [] if _normalize(a)})
        if aliases != (row.aliases or []):
            values['aliases'] = aliases
        if values:
            conn.execute(departments.update().where(departments.c.id == row.id).values(**values))


def upgrade() -> None:
    conn = op.get_bind()
    _scrub_channel_targets(conn)
    _normalize_departments(conn)


def downgrade() -> None:
    # The full targets and the original spellings are gone on purpose; the schema is unchanged.
    pass
