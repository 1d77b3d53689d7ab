"""Pooled PostgreSQL connections are pinged after an idle spell (app/db.py ping_after_idle): a connection
the server dropped while it sat in the pool is replaced unseen; one back within the idle bound is not
pinged, and its failure in use makes the pool replace it and every older one."""

import time

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from app.db import ping_after_idle

pytestmark = pytest.mark.postgres


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(admin_dsn: str, pid: int) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)


def test_a_connection_dropped_while_idle_is_replaced_unseen_and_a_busy_one_is_not_pinged(pg_only_url: str) -> None:
    from tests.conftest import PG_ADMIN_DSN

    engine = create_engine(pg_only_url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_s=0.5)
    pings: list[int] = []
    real_ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: pings.append(1) or real_ping(conn)  # type: ignore[method-assign]
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first and pings == []  # back within the bound: no ping

        _terminate(PG_ADMIN_DSN, first)
        time.sleep(0.6)
        second = _backend_pid(engine)  # idle past the bound: pinged, found dead, replaced
        assert second != first and len(pings) == 1

        _terminate(PG_ADMIN_DSN, second)  # dropped while "busy": the next use is not pinged and fails
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) not in (first, second)  # the pool replaced it
        assert len(pings) == 1
    finally:
        engine.dispose()
