"""Online backup of the embedded SQLite database.

sqlite3's backup API copies every page in one step under a read transaction,
so the copy is one consistent snapshot even while the service keeps writing
(WAL lets the writers go on meanwhile). PostgreSQL has its own tools
(pg_dump / pg_restore), which the README documents.
"""

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(url.database)


def backup_sqlite(source: Path, destination: Path) -> int:
    """Copy the live database at `source` to a new file; returns its size in bytes."""
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    if destination.exists():
        raise BackupError(f"目标文件已存在，不会覆盖：{destination}")
    if not destination.parent.is_dir():
        raise BackupError(f"目标目录不存在：{destination.parent}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(destination)
        try:
            src.backup(dst)
            # The copy stands alone: one file, no -wal beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return destination.stat().st_size
