"""Layers (issue 15): what the pages read is stored where it belongs, not guessed or read
back from the audit log.

- Delivery results in the office's words: each notifier says in Chinese what an answer
  means (DeliveryResult.words), stored beside the technical detail. Existing rows get
  their words from their details once, by the rules the pages used until now (frozen
  here); rows whose detail was already Chinese keep it.
- A plan's import notes (the parser's warnings, whether it came from a table) on the
  plan, from each plan's latest plan.import audit event.
- A reopening is a review (decision "reopen") with its reason, from the
  milestone.reopen audit events.
- milestones.changes counts each row's updates: the dashboard caches its figures by
  their sum instead of by the newest audit event.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 07:00:00.000000
"""
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.database import UTCDateTime

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# First match wins; {0}… are the pattern's groups.
_RESULTS = [
    (re.compile(r"^accepted by (.+)$"), "已送达（邮件服务器 {0} 已接收）"),
    (re.compile(r"^HTTP (2\d\d)$"), "已送达"),
    (re.compile(r"^(sent|ok)$", re.I), "已送达"),
    (re.compile(r"^timed out"), "对方长时间未应答，系统将稍后重试"),
    (re.compile(r"^(SMTP )?connection failed"), "无法连接到接收方，系统将稍后重试"),
    (re.compile(r"^invalid URL|^unsupported URL scheme"), "地址无效，请检查渠道地址"),
    (re.compile(r"not on the allowed hosts list"), "该地址的主机未获准发送，请联系系统运维人员放行"),
    (re.compile(r"^rate limited"), "对方限制了发送频率，系统将稍后重发"),
    (re.compile(r"^robot busy"), "机器人繁忙，系统将稍后重试"),
    (re.compile(r"^robot refused: (-?\d+)"), "机器人拒收（错误码 {0}），请检查密钥、关键词或签名设置"),
    (re.compile(r"^robot answered"), "机器人的应答无法识别，系统将稍后重试"),
    (re.compile(r"over the \d+-byte limit"), "消息超出该渠道的长度限制"),
    (re.compile(r"^HTTP (\d{3})"), "接收方拒绝（状态码 {0}）"),
    (re.compile(r"^SMTP server certificate"), "邮件服务器证书无法验证"),
    (re.compile(r"^SMTP|^unknown SMTP"), "邮件服务器设置有误，请联系系统运维人员"),
]


def words_for(detail: str | None) -> str:
    if not detail:
        return ""
    for pattern, words in _RESULTS:
        found = pattern.search(detail)
        if found:
            return words.format(*found.groups())
    return detail if not re.search(r"[A-Za-z]{3}", detail) else "发送失败，原因未能识别"


def _backfill(table: str, detail: str, words: str) -> None:
    """One UPDATE per distinct detail: details repeat (the same host, the same refusal)."""
    conn = op.get_bind()
    details = conn.execute(sa.text(f"SELECT DISTINCT {detail} FROM {table} WHERE {detail} IS NOT NULL")).scalars()
    for value in list(details):
        conn.execute(
            sa.text(f"UPDATE {table} SET {words} = :words WHERE {detail} = :detail"),
            {"words": words_for(value), "detail": value},
        )


def _audit_events(action: str):
    events = sa.table(
        'audit_events', sa.column('id', sa.Integer), sa.column('action', sa.String), sa.column('entity_id', sa.Integer),
        sa.column('actor_id', sa.Integer), sa.column('after', sa.JSON), sa.column('created_at', UTCDateTime()),
    )
    return op.get_bind().execute(
        sa.select(events.c.entity_id, events.c.actor_id, events.c.after, events.c.created_at)
        .where(events.c.action == action).order_by(events.c.id)
    ).all()


def _copy_import_notes() -> None:
    plans = sa.table('plans', sa.column('id', sa.Integer), sa.column('import_notes', sa.JSON))
    latest = {row.entity_id: row.after or {} for row in _audit_events('plan.import')}
    conn = op.get_bind()
    for plan_id, after in latest.items():
        notes = {"warnings": after.get("warnings", []), "from_table": bool(after.get("from_table"))}
        conn.execute(sa.update(plans).where(plans.c.id == plan_id).values(import_notes=notes))


def _copy_reopenings() -> None:
    conn = op.get_bind()
    milestones = set(conn.execute(sa.text("SELECT id FROM milestones")).scalars())
    reviews = sa.table(
        'reviews', sa.column('milestone_id', sa.Integer), sa.column('reviewer_id', sa.Integer),
        sa.column('decision', sa.String), sa.column('comment', sa.Text), sa.column('created_at', UTCDateTime()),
    )
    rows = [
        {"milestone_id": e.entity_id, "reviewer_id": e.actor_id, "decision": "reopen",
         "comment": (e.after or {}).get("comment"), "created_at": e.created_at}
        for e in _audit_events('milestone.reopen') if e.entity_id in milestones
    ]
    if rows:
        conn.execute(sa.insert(reviews), rows)


def upgrade() -> None:
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_words', sa.Text(), nullable=True))
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_notes', sa.JSON(), nullable=True))
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Integer(), nullable=False, server_default='0'))
    _backfill('delivery_attempts', 'detail', 'words')
    _backfill('notifications', 'last_error', 'last_error_words')
    _copy_import_notes()
    _copy_reopenings()


def downgrade() -> None:
    op.execute("DELETE FROM reviews WHERE decision = 'reopen'")
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('changes')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('import_notes')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('last_error_words')
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_column('words')
