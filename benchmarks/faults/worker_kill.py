"""SIGKILL workers in the middle of a Claude auto-edit batch and of a training job, while annotators work:
the annotators see no error, the batch ends with exactly one edit per item, and the training job is marked
failed, retried, and succeeds.

    .venv/bin/python -m benchmarks.faults.worker_kill --annotators 30 --items 40

Everything is private to the run: a PostgreSQL cluster, a Redis server, the fake Anthropic API of the
tests (tests/fakes/fake_anthropic.py, 0.3 s per answer), uvicorn, a default-queue worker with beat and a
gpu-queue worker. Each kill is followed by a fresh worker, as a supervisor would start one.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.faults.pg_cluster import PrivateCluster
from benchmarks.faults.redis_server import PrivateRedis
from benchmarks.load.cpu import machine_note
from benchmarks.load.redline_site import REPO_ROOT, redline_server, scratch_database, seed
from benchmarks.load.scenario import Scenario, run_team
from benchmarks.load.verify import verify

TRAINING_PAIRS = [
    ("What is the capital of France?", "Paris.", "The capital of France is Lyon.", "The capital of France is Paris."),
    ("How many legs does a spider have?", "Eight.", "I think spiders have six legs.", "Spiders have eight legs."),
    ("Name a primary colour.", "Red.", "Um, well, maybe red, I guess.", "Red."),
    ("What is 3 + 4?", "7", "3 + 4 is 8.", "3 + 4 is 7."),
]


def _start_worker(env: dict[str, str], workdir: Path, queue: str, n: int, beat: bool) -> subprocess.Popen[bytes]:
    log = (workdir / f"worker-{queue}-{n}.log").open("ab")
    cmd = [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", queue,
           "-P", "threads", "-c", "4" if queue == "default" else "1", "--loglevel", "INFO", "-n", f"kill-{queue}-{n}@%h"]
    if beat:
        cmd += ["--beat", "-s", str(workdir / f"beat-{n}")]
    return subprocess.Popen(cmd, cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def _wait(what: str, check, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def _seed_extra(url: str, items: int, tokenizer: str) -> tuple[int, int]:
    """An auto-edit dataset of `items` pairs and a small dataset of accepted edits to train on."""
    import hashlib

    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.models import Dataset, Edit, EditStatus, Item
    from training.alignment import align

    engine = make_engine(url)
    with Session(engine) as session:
        auto = Dataset(name="autoedit")
        train = Dataset(name="training", tokenizer=tokenizer)
        session.add_all([auto, train])
        session.flush()
        for k in range(items):
            rejected = f"The wrong answer number {k} is here."
            session.add(Item(dataset_id=auto.id, external_id=f"a{k}", prompt=f"Question {k}?", chosen="Right.",
                             rejected=rejected, content_hash=hashlib.sha256(rejected.encode()).hexdigest()))
        for n, (prompt, chosen, rejected, edited) in enumerate(TRAINING_PAIRS * 3):
            item = Item(dataset_id=train.id, external_id=f"t{n}", prompt=f"{prompt} ({n})", chosen=chosen,
                        rejected=rejected, content_hash=f"t{n}")
            session.add(item)
            session.flush()
            hunks = [list(h) for h in align(rejected, edited, tokenizer=tokenizer).hunks]
            session.add(Edit(item_id=item.id, edited_text=edited, status=EditStatus.accepted, hunks=hunks))
        session.commit()
        ids = (auto.id, train.id)
    engine.dispose()
    return ids


def run(annotators: int, items: int, seconds: float) -> dict[str, Any]:
    from tests.fakes.fake_anthropic import FakeAnthropic
    from training.tiny import tiny_model_dir

    found: dict[str, Any] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        pg = stack.enter_context(PrivateCluster())
        rds = stack.enter_context(PrivateRedis())
        fake = stack.enter_context(FakeAnthropic(latency_s=0.3))
        url = stack.enter_context(scratch_database(pg.dsn, prefix="redline_kill"))
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        models = tmp / "models"
        seeded = seed(url, annotators, 1, 1, max(500, annotators * 30), 80)
        auto_id, train_id = _seed_extra(url, items, str(tiny_model_dir(models)))
        env = {"DATABASE_URL": url, "REDIS_URL": rds.url, "ANTHROPIC_API_KEY": "sk-fake", "ANTHROPIC_BASE_URL":
               fake.base_url, "ARTIFACT_DIR": str(tmp / "artifacts"),
               "JOB_HEARTBEAT_TIMEOUT_S": "6", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        base, _ = stack.enter_context(redline_server(url, tmp / "server.log", workers=2, **env))
        workers = [_start_worker(env, tmp, "default", 0, beat=True), _start_worker(env, tmp, "gpu", 0, beat=False)]
        try:
            load: dict[str, Any] = {}
            marks: dict[str, float] = {}
            sc = Scenario(seconds=seconds, think_s=1.0, saves_per_item=3)
            # Warm up first: each server process loads the bundled tokenizer on its first save.
            _, warm_ledger, _ = asyncio.run(run_team(base, seeded.dataset_id, seeded.annotators, [], [],
                                                     replace(sc, seconds=5)))

            def annotate() -> None:
                results = asyncio.run(run_team(base, seeded.dataset_id, seeded.annotators, seeded.reviewers,
                                               seeded.admins, sc))
                load.update(zip(("rec", "ledger", "elapsed"), results, strict=True))

            team = threading.Thread(target=annotate)
            team.start()
            admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {seeded.admins[0]}"}, timeout=60)
            # 1. An auto-edit batch; its worker is killed a third of the way through.
            # Short timings (as the auto-edit tests use) so that items lost with the killed worker are
            # sent again within seconds rather than the real API's five minutes.
            timing = {"request_timeout_s": 2, "backoff_base_s": 0.1, "backoff_max_s": 0.5, "stale_after_s": 4,
                      "watch_interval_s": 0.5}
            batch = admin.post("/api/v1/autoedit-batches", json={"dataset": auto_id, "concurrency": 4,
                                                                  "timing": timing})
            batch.raise_for_status()
            batch_id = batch.json()["id"]
            progress = lambda: admin.get(f"/api/v1/autoedit-batches/{batch_id}").json()  # noqa: E731
            at_kill = _wait("a third of the batch", lambda: (p := progress())["done"] >= items // 3 and p)
            marks["batch worker killed"] = time.monotonic()
            workers[0].send_signal(signal.SIGKILL)
            workers.append(_start_worker(env, tmp, "default", 1, beat=True))
            end = _wait("the batch to end", lambda: (p := progress())["ended"] and p)
            with psycopg.connect(dsn) as conn:
                per_item = [n for (n,) in conn.execute(
                    "SELECT count(*) FROM edits WHERE batch_id = %s GROUP BY item_id", (batch_id,))]
            found["batch"] = {"done_at_kill": at_kill["done"], "status": end["status"], "done": end["done"],
                              "failed": end["failed"], "items": items, "items_with_one_edit": per_item.count(1),
                              "items_with_more": sum(1 for n in per_item if n > 1)}
            # 2. A training job; its gpu worker is killed while it runs, then it is retried.
            engineer = admin  # admins may do what engineers do
            marks["export"] = time.monotonic()
            export = engineer.get(f"/api/v1/datasets/{train_id}/export")
            marks["job submitted"] = time.monotonic()
            export.raise_for_status()
            job = engineer.post("/api/v1/training-jobs", json={
                "kind": "reward-token", "preset": "cpu-tiny", "export_id": export.headers["X-Redline-Export-Id"],
                "config": {"max_steps": 400}}).json()
            state = lambda: engineer.get(f"/api/v1/training-jobs/{job['id']}").json()  # noqa: E731
            _wait("the job to run", lambda: (j := state())["status"] == "running" and j["step"] >= 1 and j)
            marks["gpu worker killed"] = time.monotonic()
            workers[1].send_signal(signal.SIGKILL)
            failed = _wait("the job to be marked failed", lambda: (j := state())["status"] == "failed" and j, 120)
            workers.append(_start_worker(env, tmp, "gpu", 1, beat=False))
            engineer.post(f"/api/v1/training-jobs/{job['id']}/retry").raise_for_status()
            done = _wait("the retried job to end", lambda: (j := state())["status"] in ("succeeded", "failed") and j, 600)
            found["job"] = {"after_kill": failed["status"], "error": (failed["error"] or "")[:120],
                            "after_retry": done["status"]}
            team.join()
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
        ledger = load["ledger"]
        ledger.submissions[:0] = warm_ledger.submissions
        ledger.last_draft = {**warm_ledger.last_draft, **ledger.last_draft}
        verdict = verify(url, ledger, seeded.annotator_ids)
        t0 = load["ledger"].successes[0] if load["ledger"].successes else 0.0
        found["marks"] = {k: round(v - t0, 1) for k, v in marks.items()}
        found["slowest"] = [(round(s_, 2), round(at - t0, 1), name) for s_, at, name in sorted(load["rec"].slowest)[-8:]]
        found["load"] = {"errors": load["rec"].total_errors, "table": load["rec"].table(load["elapsed"]),
                         "verdict": verdict.lines(), "ok": verdict.ok}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=30)
    parser.add_argument("--items", type=int, default=40, help="items in the auto-edit batch")
    parser.add_argument("--seconds", type=float, default=90.0, help="how long the annotators work")
    args = parser.parse_args(argv)
    print(f"# {machine_note()}")
    found = run(args.annotators, args.items, args.seconds)
    print(f"auto-edit batch: {found['batch']}")
    print(f"training job: {found['job']}")
    print(f"moments (s into the load): {found['marks']}; slowest requests (s, at, endpoint): {found['slowest']}")
    print(*found["load"]["table"], sep="\n")
    print(*found["load"]["verdict"], sep="\n")
    b, j = found["batch"], found["job"]
    good = (b["items_with_one_edit"] == b["items"] and not b["items_with_more"] and j["after_kill"] == "failed"
            and j["after_retry"] == "succeeded" and found["load"]["errors"] == 0 and found["load"]["ok"])
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
