"""Engine and session factory, built once from the settings."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets the worker read while the server writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    settings = get_settings()
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    ping_after_idle(engine, settings.db_ping_after_idle_s)
    return engine


def ping_after_idle(engine: Engine, idle_s: float) -> None:
    """Test a pooled connection with a ping when it comes out of the pool after more than `idle_s` idle.

    So a restarted PostgreSQL is noticed and reconnected without restarting the server, as with
    `pool_pre_ping`, minus its round trip on every checkout: under load connections come back within
    milliseconds. A connection that breaks while in use fails its request (503, "retry shortly") and
    makes the pool replace every connection opened before it."""

    @event.listens_for(engine, "checkin")
    def _mark_idle(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= idle_s:
            return  # new, or idle for a moment only
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the pool retries with a fresh connection
            raise exc.DisconnectionError(f"connection failed its ping: {error}") from error


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
