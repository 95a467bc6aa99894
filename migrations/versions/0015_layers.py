"""Delivery results in the office's words: each notifier says in Chinese what an answer
means (DeliveryResult.words), stored beside the technical detail, so the pages no longer
guess it from the English.

Existing rows get their words from their details once, by the rules the pages used
until now (frozen here); rows whose detail was already Chinese keep it.

Revision ID: 0015_layers
Revises: 0014
Create Date: 2026-11-30 07:00:00.000000
"""
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_layers'
down_revision: str | None = '0014'
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


def upgrade() -> None:
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_words', sa.Text(), nullable=True))
    _backfill('delivery_attempts', 'detail', 'words')
    _backfill('notifications', 'last_error', 'last_error_words')


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('last_error_words')
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_column('words')
