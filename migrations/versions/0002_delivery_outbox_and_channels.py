"""delivery outbox and channels

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 07:22:19.887917
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.database

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('send_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_type', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('sent_at', service.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_slots'))
    )
    with op.batch_alter_table('send_slots', schema=None) as batch_op:
        batch_op.create_index('ix_send_slots_robot_sent', ['channel_type', 'target', 'sent_at'], unique=False)

    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=500), nullable=True),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_channels_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_channels_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channels_office_id'), ['office_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('channel_type', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('lease_until', service.database.UTCDateTime(), nullable=True),
    sa.Column('leased_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('sent_at', service.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_notifications_channel_id_channels'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_notifications_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_notifications_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_notifications_office_created', ['office_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('started_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('finished_at', service.database.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_delivery_attempts_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_notification_id'), ['notification_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_notification_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_next_attempt_at')
        batch_op.drop_index('ix_notifications_office_created')
        batch_op.drop_index(batch_op.f('ix_notifications_department_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_channel_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_office_id'))
        batch_op.drop_index(batch_op.f('ix_channels_department_id'))

    op.drop_table('channels')
    with op.batch_alter_table('send_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_send_slots_robot_sent')

    op.drop_table('send_slots')
