"""Helpers shared by the reliability suite."""

import pytest
from sqlalchemy import Engine, func, select

from service.models import Base


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table: the 'database unchanged' check of the bad-input tests."""
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def counts(engine):
    return lambda: row_counts(engine)
