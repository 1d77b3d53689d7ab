"""Alembic upgrade head, downgrade base, upgrade head again, on SQLite and PostgreSQL."""

from sqlalchemy import create_engine, inspect

from app.migrate import downgrade, upgrade
from app.models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    expected = set(Base.metadata.tables)
    assert _tables(db_url) >= expected
    downgrade(db_url, "base")
    assert _tables(db_url) & expected == set()
    upgrade(db_url)
    assert _tables(db_url) >= expected
