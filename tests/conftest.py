"""Shared fixtures: a migrated database on SQLite and on real PostgreSQL, wiped between tests."""

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WARM_UP", "0")  # app/heap.py: freezing the heap of a process that builds many apps

PG_ADMIN_DSN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("REDLINE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop marked as running in the main
    thread while its session-wide browser is open, and `asyncio.run` refuses to start under it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def reset_app_state(database_url: str, **env: str) -> None:
    """Point the settings at another database and drop every cached engine and session factory."""
    from app import config, db

    os.environ["DATABASE_URL"] = database_url
    for key, value in env.items():
        os.environ[key] = value
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, so parallel runs never share tables."""
    name = f"redline_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'redline.db'}"


_migrated: set[str] = set()


def _wipe(engine: Engine) -> None:
    from app.models import Base

    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database; every test that uses it runs on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    reset_app_state(url)
    from app.db import get_engine
    from app.migrate import upgrade

    if url not in _migrated:
        upgrade(url)
        _migrated.add(url)
    _wipe(get_engine())
    yield url
    get_engine().dispose()


@pytest.fixture
def pg_only_url(pg_url: str) -> Iterator[str]:
    """Like db_url, on PostgreSQL alone (for tests of concurrency that SQLite cannot show)."""
    reset_app_state(pg_url)
    from app.db import get_engine
    from app.migrate import upgrade

    if pg_url not in _migrated:
        upgrade(pg_url)
        _migrated.add(pg_url)
    _wipe(get_engine())
    yield pg_url
    get_engine().dispose()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    from app.db import get_sessionmaker

    with get_sessionmaker()() as s:
        yield s
