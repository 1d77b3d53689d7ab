"""Restart Redis (no persistence) with token-labels tasks queued and running: none may be lost, and none
may take effect twice.

    .venv/bin/python -m benchmarks.faults.redis_restart --per-phase 10

Redis here is a private server started with CI's flags (`--save "" --appendonly no`), so
`redis-cli shutdown nosave` loses every message it holds. Phases, each submitting --per-phase edits
through the real server (uvicorn with REDIS_URL):
  A. no worker yet: the labels tasks wait in Redis; then Redis is shut down (they are gone);
  B. Redis is down: submits still succeed (the edit is stored; sending the task fails and is logged);
  C. Redis is back, empty: tasks queue again; a worker starts (with beat) and drains them;
  D. Redis is shut down and restarted again while the worker runs; more edits are submitted.
The worker's beat sends the labels task again for finished edits still without labels after
RESEND_AFTER_S. At the end every submitted edit must have exactly one labels row.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from benchmarks.faults.pg_cluster import PrivateCluster
from benchmarks.faults.redis_server import PrivateRedis
from benchmarks.load.cpu import machine_note
from benchmarks.load.redline_site import REPO_ROOT, redline_server, scratch_database, seed


@dataclass
class RedisOutcome:
    submitted: list[int] = field(default_factory=list)
    """Ids of the edits acknowledged by the server, in every phase."""
    queued_before_restart: int = 0
    queued_after_restart: int = 0
    """Tasks in Redis after the submits of phase C: the server's producer reconnected by itself."""
    down_submit_ms: list[float] = field(default_factory=list)
    labelled: dict[int, int] = field(default_factory=dict)
    """edit id -> labels rows stored for it."""
    deliveries: int = 0
    """Labels tasks the worker ran (a resent one for an edit already labelled does nothing)."""
    seconds_to_drain: float | None = None

    @property
    def missing(self) -> list[int]:
        return [e for e in self.submitted if self.labelled.get(e, 0) == 0]

    @property
    def doubled(self) -> list[int]:
        return [e for e, n in self.labelled.items() if n > 1]

    @property
    def ok(self) -> bool:
        return bool(self.submitted) and not self.missing and not self.doubled

    def lines(self) -> list[str]:
        down = sorted(self.down_submit_ms)
        return [
            f"edits submitted: {len(self.submitted)}; tasks in Redis when it was shut down: {self.queued_before_restart}; "
            f"queued again once it was back: {self.queued_after_restart}",
            f"submits while Redis was down: {len(down)}, all acknowledged; slowest {down[-1] if down else 0:.0f} ms",
            f"edits with labels: {sum(1 for n in self.labelled.values() if n)}; missing: {len(self.missing)}; "
            f"labelled twice: {len(self.doubled)}; labels tasks run: {self.deliveries}",
            "all labelled " + (f"{self.seconds_to_drain:.1f} s after the worker started"
                               if self.seconds_to_drain is not None else "NEVER (timed out)"),
        ]


def _submit(client: httpx.Client, token: str, out: RedisOutcome, timings: list[float] | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    item = client.get("/api/v1/queue/next", headers=headers).json()["item"]
    started = time.perf_counter()
    reply = client.put(f"/api/v1/items/{item['id']}/edit", headers=headers, json={
        "edited_text": item["rejected"] + " Then serve it.", "status": "submitted", "version": 0})
    if timings is not None:
        timings.append((time.perf_counter() - started) * 1000)
    reply.raise_for_status()
    out.submitted.append(reply.json()["id"])


def _labelled(dsn: str) -> dict[int, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT e.id, count(t.id) FROM edits e LEFT JOIN token_labels t ON t.edit_id = e.id "
                            "WHERE e.status <> 'draft' GROUP BY e.id").fetchall()
    return {int(e): int(n) for e, n in rows}


def start_worker(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", "default",
         "-P", "threads", "-c", "2", "--beat", "-s", str(workdir / "beat-schedule"), "--loglevel", "INFO",
         "-n", f"fault-{os.getpid()}@%h"],
        cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )


def run_redis_fault(per_phase: int = 8, resend_after_s: float = 3.0, timeout_s: float = 120.0) -> RedisOutcome:
    """The whole experiment; used by this script and by tests/reliability/test_faults.py."""
    from training.tiny import tiny_model_dir

    out = RedisOutcome()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rds = stack.enter_context(PrivateRedis())
        pg = stack.enter_context(PrivateCluster())  # the machine's own server may be crowded by other work
        url = stack.enter_context(scratch_database(pg.dsn, prefix="redline_redis_fault"))
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        seeded = seed(url, 4 * per_phase, 0, 0, 4 * per_phase + 10, 40, tokenizer=str(tiny_model_dir(tmp / "models")))
        env = {"DATABASE_URL": url, "REDIS_URL": rds.url, "RESEND_AFTER_S": str(resend_after_s),
               "SWEEP_INTERVAL_S": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        base, _ = stack.enter_context(redline_server(url, tmp / "server.log", workers=1, **env))
        client = stack.enter_context(httpx.Client(base_url=base, timeout=60))
        tokens = iter(seeded.annotators)
        for _ in range(per_phase):  # A: queued, no worker
            _submit(client, next(tokens), out)
        out.queued_before_restart = rds.queue_length()
        rds.shutdown_nosave()
        for _ in range(per_phase):  # B: Redis down
            _submit(client, next(tokens), out, out.down_submit_ms)
        rds.start()
        for _ in range(per_phase):  # C: Redis back, empty
            _submit(client, next(tokens), out)
        out.queued_after_restart = rds.queue_length()
        worker = start_worker(env, tmp)
        started = time.monotonic()
        try:
            time.sleep(2.0)
            rds.shutdown_nosave()  # D: while the worker runs
            time.sleep(1.0)
            rds.start()
            for _ in range(per_phase):
                _submit(client, next(tokens), out)
            while time.monotonic() - started < timeout_s and worker.poll() is None:
                out.labelled = _labelled(dsn)
                if not out.missing:
                    out.seconds_to_drain = time.monotonic() - started
                    time.sleep(2 * resend_after_s)  # room for a wrong second run to show
                    break
                time.sleep(0.5)
            out.labelled = _labelled(dsn)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        log = (tmp / "worker.log").read_text(errors="replace")
        out.deliveries = sum(1 for line in log.splitlines()
                             if "redline.labels.compute[" in line and "succeeded" in line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-phase", type=int, default=10)
    parser.add_argument("--resend-after", type=float, default=3.0, help="RESEND_AFTER_S for the worker")
    args = parser.parse_args(argv)
    print(f"# {machine_note()}")
    out = run_redis_fault(args.per_phase, args.resend_after)
    print(*out.lines(), sep="\n")
    print("PASS" if out.ok else "FAIL")
    return 0 if out.ok else 1


if __name__ == "__main__":
    sys.exit(main())
