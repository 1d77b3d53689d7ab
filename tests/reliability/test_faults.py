"""Faults, as CI runs them: PostgreSQL restarted under load, Redis restarted with tasks queued and running,
a full artifact disk, and a training job's message delivered twice. Each runs against private servers
(a throwaway PostgreSQL cluster, a private Redis, a tmpfs in a private mount namespace), so the
machine's shared services are never disturbed. The benchmarks/faults scripts run the same experiments
bigger and print their figures."""

import threading
import time

import pytest

from benchmarks.faults.disk_full import judge, run_disk_full
from benchmarks.faults.pg_restart import run_fault
from benchmarks.faults.redis_restart import run_redis_fault

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_postgres_restart_under_load_loses_no_acknowledged_write() -> None:
    out = run_fault(annotators=12, seconds=10, think=0.2, workers=1, restart_after=3.0)
    assert out.verdict.ok, out.lines()
    assert out.verdict.acknowledged_submissions > 0 and out.verdict.drafts_checked > 0
    assert out.verdict.unacknowledged == 0 or out.ledger.failures  # a stored-but-unanswered submit needs a cut reply
    assert any(t < out.restart_at for t in out.ledger.successes), "no load before the restart"
    assert out.first_success_after is not None and out.first_success_after < 5, out.lines()
    assert not out.failures_after_recovery, out.lines()
    # What the clients saw during the restart: 503 "retry shortly", or a connection the restart cut.
    for _, what in out.ledger.failures:
        assert ": 503 " in what or "Error" in what, what


@pytest.mark.redis
def test_redis_restarts_lose_no_queued_task_and_run_none_twice() -> None:
    out = run_redis_fault(per_phase=4, resend_after_s=2.0, timeout_s=120)
    assert out.queued_before_restart == 4  # the first tasks really were in Redis when it lost them
    assert out.queued_after_restart == 4  # the server's producer reconnected by itself
    assert len(out.submitted) == 16 and len(out.down_submit_ms) == 4  # submits went on while it was down
    assert out.ok, out.lines()
    assert out.deliveries >= len(out.submitted)


def test_a_full_artifact_disk_gives_a_clear_error_and_leaves_nothing_behind() -> None:
    found = run_disk_full(size_kb=512)
    assert judge(found) == [], found
    assert found["left_on_host"] == []


def test_a_training_job_delivered_twice_runs_once(pg_only_url: str, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path) -> None:
    """Two deliveries of one job's message (a resend after a broker restart): while one worker claims the
    job, the other waits on the row lock, then finds it running and starts nothing."""
    import subprocess

    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.models import TrainingJob
    from app.services import job_runner

    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path))
    get_settings.cache_clear()
    with get_sessionmaker()() as s:
        job = TrainingJob(kind="reward-token", preset="cpu-tiny", config={}, status="queued")
        s.add(job)
        s.commit()
        job_id = job.id

    def never_start(*args, **kwargs):
        raise AssertionError("a second delivery started the training process")

    monkeypatch.setattr(subprocess, "Popen", never_start)
    claimed = threading.Event()
    results: list[str] = []

    def first_worker() -> None:  # holds the claim for a moment, as run_job does while it prepares
        with get_sessionmaker()() as s:
            row = s.get(TrainingJob, job_id, with_for_update=True)
            assert row is not None and row.status == "queued"
            claimed.set()
            time.sleep(0.5)
            row.status = "running"
            s.commit()

    holder = threading.Thread(target=first_worker)
    holder.start()
    claimed.wait(10)
    results.append(job_runner.run_job(job_id, get_settings()))
    holder.join()
    assert results == ["running"]
    monkeypatch.delenv("ARTIFACT_DIR")
    get_settings.cache_clear()


def _burst(inflight: int) -> tuple[list[int], float]:
    """120 annotators lease at the same moment (more than the 40 worker threads of a process), against a
    server with an 8-connection pool."""
    import asyncio
    import tempfile
    from pathlib import Path

    import httpx

    from benchmarks.faults.pg_cluster import PrivateCluster
    from benchmarks.load.redline_site import redline_server, scratch_database, seed

    with PrivateCluster() as pg, scratch_database(pg.dsn) as url, tempfile.TemporaryDirectory() as tmp:
        seeded = seed(url, 120, 0, 0, 120, 30)
        env = {"DB_POOL_SIZE": "8", "DB_MAX_OVERFLOW": "0", "MAX_INFLIGHT_REQUESTS": str(inflight)}
        with redline_server(url, Path(tmp) / "server.log", workers=1, **env) as (base, _):

            async def burst() -> list[int]:
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                    replies = await asyncio.gather(*(
                        client.get("/api/v1/queue/next", headers={"Authorization": f"Bearer {t}"})
                        for t in seeded.annotators))
                return [r.status_code for r in replies]

            started = time.monotonic()
            statuses = asyncio.run(burst())
            return statuses, time.monotonic() - started


def test_more_simultaneous_requests_than_connections_wait_in_line_instead_of_deadlocking() -> None:
    """Each request holds its connection across FastAPI's thread hops; unbounded, 120 requests on 40
    threads and 8 connections wait for each other until the pool times out (30 s, then 500s). Bounded
    (the default setting is sized the same way against the default pool), they queue."""
    statuses, seconds = _burst(inflight=4)
    assert statuses == [200] * 120, sorted(set(statuses))
    assert seconds < 25, f"the burst took {seconds:.0f} s: requests waited for the pool to time out"
