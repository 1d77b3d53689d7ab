"""Auto-edit throughput through Redis, PostgreSQL and real Celery workers against the fake Anthropic API.

    .venv/bin/python -m benchmarks.bench_autoedit --items 2560 --latency 0.5 --concurrency 64

Every call takes `latency` seconds at the fake API, so at most `concurrency` calls in flight give an
ideal of concurrency / latency items per second (64 / 0.5 s = 128 items/s). A warm-up batch runs
first (workers load the alignment tokenizer once), then the measured batch; prints the ideal and the
measured rate (overall, and steady state between 10 % and 90 % of the items done).

The item tasks go to their own queue (AUTOEDIT_QUEUE=autoedit) served by `--workers` processes of
`--threads` threads each (`-P threads`): the calls wait on the network, so threads, not processes,
give the concurrency, and two processes use both cores for the Python work around the calls. The
token-labels tasks that each edit queues stay on the `default` queue, which no worker serves here:
they are the labelling workers' job, not part of the auto-edit pipeline measured.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import redis

PG_ADMIN_DSN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("REDLINE_TEST_REDIS", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
API_KEY = "sk-ant-bench-not-a-real-key"


def claim_redis_db() -> str:
    for db in (7, 8, 9, 10, 13, 14, 15):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{db}")
        if client.set("redline:test-claim", "bench", nx=True, ex=1800):
            client.flushdb()
            client.set("redline:test-claim", "bench", ex=1800)
            return f"{REDIS_BASE}/{db}"
    raise SystemExit("no free Redis database among 7-10, 13-15")


def seed(url: str, n: int, name: str) -> None:
    from app.db import get_sessionmaker
    from app.models import Dataset, Item

    with get_sessionmaker()() as session:
        dataset = Dataset(name=name)
        session.add(dataset)
        session.flush()
        for k in range(n):
            text = (f"Answer {k}: the sky on a clear day is wrong green, because sunlight scatters off "
                    "the oceans. The effect is strongest at noon.")
            session.add(Item(dataset_id=dataset.id, external_id=f"{name}-{k}", prompt="Why is the sky blue?",
                             chosen="Rayleigh scattering: air molecules scatter blue light more than red.",
                             rejected=text, content_hash=hashlib.sha256(f"{name}{text}".encode()).hexdigest()))
        session.commit()


def run_batch(dataset: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    """Start a batch, wait for its end; (seconds, completion times of the items from the first).
    Fails unless every item ended with exactly one edit."""
    from sqlalchemy import func, select

    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.models import AutoEditBatch, AutoEditTask, Edit
    from app.services.autoedit.batches import create_batch
    from app.services.autoedit.options import BatchRequest

    with get_sessionmaker()() as session:
        start = time.monotonic()
        batch_id = create_batch(session, get_settings(), BatchRequest(dataset=dataset, concurrency=concurrency)).id
        while session.scalar(select(AutoEditBatch.status).where(AutoEditBatch.id == batch_id)) == "running":
            session.commit()
            time.sleep(0.1)
        elapsed = time.monotonic() - start
        done_at = sorted(session.scalars(
            select(AutoEditTask.updated_at).where(AutoEditTask.batch_id == batch_id, AutoEditTask.status == "done")))
    assert len(done_at) == n, f"{len(done_at)} of {n} items done"
    with get_sessionmaker()() as session:
        per_item = session.execute(select(func.count(Edit.id)).where(Edit.batch_id == batch_id)
                                   .group_by(Edit.item_id)).scalars().all()
    assert len(per_item) == n and set(per_item) == {1}, "an item without exactly one edit"
    first = done_at[0]
    return elapsed, [(t - first).total_seconds() for t in done_at]


def start_fake(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.fake_anthropic", "--latency", str(latency),
                             "--key", API_KEY], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def fake_stats(base_url: str, reset: bool = False) -> dict:
    import httpx

    return httpx.get(f"{base_url}/_fake/stats", headers={"x-fake": "reset" if reset else ""}).json()


def start_workers(env: dict[str, str], workers: int, threads: int, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for k in range(workers):
        log = (logs / f"bench-worker-{k}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", "autoedit",
             "-P", "threads", "-c", str(threads), "--loglevel", "WARNING", "-n", f"bench-{k}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        ))
    return procs


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2560, help="Items in the measured batch (20 s at the ideal rate).")
    parser.add_argument("--latency", type=float, default=0.5, help="Seconds the fake API takes per call.")
    parser.add_argument("--concurrency", type=int, default=64, help="The batch's calls in flight.")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes.")
    parser.add_argument("--threads", type=int, default=96, help="Threads per worker process.")
    parser.add_argument("--logs", type=Path, default=Path("/tmp"), help="Where the worker logs go.")
    args = parser.parse_args()
    name = f"redline_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    redis_url = claim_redis_db()
    fake, base_url = start_fake(args.latency)
    procs: list[subprocess.Popen] = []
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "ANTHROPIC_API_KEY": API_KEY,
           "ANTHROPIC_BASE_URL": base_url, "AUTOEDIT_QUEUE": "autoedit", "HF_HUB_OFFLINE": "1"}
    os.environ.update(env)
    try:
        from app.migrate import upgrade

        upgrade(url)
        warmup = args.concurrency * 2
        seed(url, warmup, "warmup")
        seed(url, args.items, "measured")
        procs = start_workers(env, args.workers, args.threads, args.logs)
        run_batch("warmup", warmup, args.concurrency)
        fake_stats(base_url, reset=True)
        cpu_before = sum(cpu_seconds(p.pid) for p in procs)
        elapsed, done_at = run_batch("measured", args.items, args.concurrency)
        worker_cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
        max_in_flight = fake_stats(base_url)["max_in_flight"]
    finally:
        for proc in [*procs, fake]:
            proc.terminate()
        for proc in [*procs, fake]:
            proc.wait(30)
        from app.db import get_engine

        get_engine().dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(redis_url).flushdb()
    ideal = args.concurrency / args.latency
    measured = args.items / elapsed
    lo, hi = done_at[len(done_at) // 10], done_at[(len(done_at) * 9) // 10]
    steady = (len(done_at) * 8 // 10) / (hi - lo) if hi > lo else float("nan")
    print(f"items {args.items}, latency {args.latency:g} s, concurrency {args.concurrency}, "
          f"{args.workers} worker processes x {args.threads} threads, load average {os.getloadavg()[0]:.1f}")
    print(f"ideal     {ideal:7.1f} items/s")
    print(f"measured  {measured:7.1f} items/s  ({100 * measured / ideal:.0f} % of ideal; {elapsed:.1f} s in all)")
    print(f"steady    {steady:7.1f} items/s  (10 % to 90 % of the items)")
    print(f"max calls in flight at the API: {max_in_flight} (limit {args.concurrency})")
    print(f"worker CPU: {1000 * worker_cpu / args.items:.1f} ms per item "
          f"({worker_cpu / elapsed:.2f} cores while measured)")


if __name__ == "__main__":
    main()
