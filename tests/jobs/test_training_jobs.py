"""Training jobs end to end: real PostgreSQL, real Redis and a real worker process on the `gpu` queue."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from app.models import Dataset, Edit, EditStatus, Item, TrainingJob
from tests.conftest import REDIS_TEST_URL, reset_app_state
from tests.fixtures_app import Account, make_account
from training.alignment import align

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

REDIS_DB = 11  # this module's own Redis database, flushed before use
HEARTBEAT_TIMEOUT_S = 6
EDITS = [
    ("What is the capital of France?", "Paris.", "The capital of France is Lyon.",
     "The capital of France is Paris."),
    ("How many legs does a spider have?", "Eight.", "Honestly, I think spiders have six legs.",
     "Spiders have eight legs."),
    ("Give me a tip for sleep.", "Keep a schedule.", "Keep a schedule. Keep a schedule. Keep a schedule.",
     "Keep a schedule."),
    ("Name a primary colour.", "Red.", "Um, well, maybe red, I guess.", "Red."),
    ("What is 3 + 4?", "7", "3 + 4 is 8.", "3 + 4 is 7."),
    ("Say something kind.", "You are doing great.", "You are doing great, idiot.", "You are doing great."),
]


@pytest.fixture
def env(pg_only_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    redis_url = REDIS_TEST_URL.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    values = {
        "DATABASE_URL": pg_only_url,
        "REDIS_URL": redis_url,
        "ARTIFACT_DIR": str(tmp_path / "artifacts"),
        "MODEL_CACHE_DIR": str(tmp_path.parent / "models"),
        "JOB_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
        "HF_HUB_OFFLINE": "1",
    }
    saved = {k: os.environ.get(k) for k in values}
    reset_app_state(pg_only_url, **values)
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_app_state(os.environ["DATABASE_URL"])


@pytest.fixture
def accounts(env: dict[str, str]) -> dict[str, Account]:
    from app.db import get_sessionmaker
    from app.models import Role

    with get_sessionmaker()() as session:
        return {r.value: make_account(session, f"{r.value}@jobs.test", r) for r in Role}


@pytest.fixture
def client(env: dict[str, str]) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def as_role(client: TestClient, accounts: dict[str, Account]) -> Callable[[str], dict[str, str]]:
    return lambda role: {"Authorization": f"Bearer {accounts[role].token}"}


@pytest.fixture
def export_id(env, client, as_role) -> str:
    """A token-labels export of a few hand-made edits, labelled with the tiny tokenizer."""
    from app.db import get_sessionmaker
    from training.tiny import tiny_model_dir

    tok_dir = str(tiny_model_dir(env["MODEL_CACHE_DIR"]))
    with get_sessionmaker()() as session:
        dataset = Dataset(name="jobs", tokenizer=tok_dir)
        session.add(dataset)
        session.flush()
        for n, (prompt, chosen, rejected, edited) in enumerate(EDITS * 3):
            item = Item(dataset_id=dataset.id, external_id=str(n), prompt=f"{prompt} ({n})", chosen=chosen,
                        rejected=rejected, content_hash=f"h{n}")
            session.add(item)
            session.flush()
            hunks = [list(h) for h in align(rejected, edited, tokenizer=tok_dir).hunks]
            session.add(Edit(item_id=item.id, edited_text=edited, status=EditStatus.accepted, hunks=hunks))
        session.commit()
        dataset_id = dataset.id
    resp = client.get(f"/api/v1/datasets/{dataset_id}/export", headers=as_role("engineer"))
    assert resp.status_code == 200, resp.text
    return resp.headers["X-Redline-Export-Id"]


@pytest.fixture
def start_worker(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen]]:
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", "gpu",
             "-P", "threads", "-c", "2", "--loglevel", "INFO", "-n", f"jobs-test-{len(procs)}@%h"],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(client, headers, job_id, predicate, timeout=240.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/training-jobs/{job_id}", headers=headers).json()
        if predicate(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never reached the expected state: {job}")
        time.sleep(0.5)


def submit(client, headers, **body) -> dict:
    resp = client.post("/api/v1/training-jobs", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_reward_model_then_ppo_job_run_to_the_end(client, as_role, export_id, start_worker):
    eng = as_role("engineer")
    start_worker()
    rm = submit(client, eng, kind="reward-token", preset="cpu-tiny", export_id=export_id,
                config={"max_steps": 6, "eval_every": 3})
    done = wait_for(client, eng, rm["id"], lambda j: j["status"] in ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done["error"]
    assert done["step"] == done["total_steps"] > 0 and "loss" in done["latest_metrics"]
    assert done["provenance"]["export_id"] == export_id and done["provenance"]["git_commit"]
    paths = {a["path"] for a in client.get(f"/api/v1/training-jobs/{rm['id']}/artifacts", headers=eng).json()}
    assert {"metrics.jsonl", "config.yaml", "train.log"} <= paths
    assert any(p.startswith("checkpoint/") and p.endswith(".safetensors") for p in paths)
    metrics = client.get(f"/api/v1/training-jobs/{rm['id']}/metrics", headers=eng).json()
    assert len(metrics) >= 2 and all("step" in m for m in metrics)
    blob = client.get(f"/api/v1/training-jobs/{rm['id']}/artifacts/metrics.jsonl", headers=eng)
    assert blob.status_code == 200 and blob.content.count(b"\n") >= len(metrics)

    ppo = submit(client, eng, kind="ppo-token", preset="cpu-tiny", export_id=export_id,
                 config={"token_reward_model": f"job:{rm['id']}", "total_steps": 2})
    done = wait_for(client, eng, ppo["id"], lambda j: j["status"] in ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done["error"]
    assert done["config"]["reward_mode"] == "token"
    assert done["latest_metrics"].get("kl") is not None


def test_cancel_stops_a_running_job_and_keeps_partial_artifacts(client, as_role, export_id, start_worker):
    eng = as_role("engineer")
    start_worker()
    job = submit(client, eng, kind="reward-sequence", preset="cpu-tiny", export_id=export_id,
                 config={"max_steps": 100000, "eval_every": 1000})
    wait_for(client, eng, job["id"], lambda j: j["status"] == "running" and j["step"] > 0)
    assert client.post(f"/api/v1/training-jobs/{job['id']}/cancel", headers=eng).status_code == 200
    done = wait_for(client, eng, job["id"], lambda j: j["status"] != "running", timeout=60)
    assert done["status"] == "cancelled"
    paths = {a["path"] for a in client.get(f"/api/v1/training-jobs/{job['id']}/artifacts", headers=eng).json()}
    assert "metrics.jsonl" in paths
    again = client.post(f"/api/v1/training-jobs/{job['id']}/cancel", headers=eng)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]


def test_killed_worker_marks_job_failed_within_timeout(client, as_role, export_id, start_worker):
    eng = as_role("engineer")
    worker = start_worker()
    job = submit(client, eng, kind="reward-token", preset="cpu-tiny", export_id=export_id,
                 config={"max_steps": 100000, "eval_every": 1000})
    running = wait_for(client, eng, job["id"], lambda j: j["status"] == "running" and j["step"] > 0)
    from app.db import get_sessionmaker

    with get_sessionmaker()() as session:
        child_pid = session.get(TrainingJob, job["id"]).pid
    assert child_pid
    killed_at = time.monotonic()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    failed = wait_for(client, eng, job["id"], lambda j: j["status"] == "failed", timeout=HEARTBEAT_TIMEOUT_S + 20)
    assert time.monotonic() - killed_at < HEARTBEAT_TIMEOUT_S + 20
    assert "heartbeat" in failed["error"] and running["worker_host"] in failed["error"]
    _wait_gone(child_pid)  # the training child died with its worker

    retried = client.post(f"/api/v1/training-jobs/{job['id']}/retry", headers=eng)
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    start_worker()
    wait_for(client, eng, job["id"], lambda j: j["status"] == "running")
    client.post(f"/api/v1/training-jobs/{job['id']}/cancel", headers=eng)
    wait_for(client, eng, job["id"], lambda j: j["status"] == "cancelled", timeout=60)


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # a zombie still answers kill(0); its state in /proc says it is dead
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split()[2] == "Z":
            return
        time.sleep(0.2)
    raise AssertionError(f"training process {pid} outlived its worker")


def test_bad_config_is_refused_before_queueing(client, as_role, export_id):
    eng = as_role("engineer")
    cases = [
        ({"kind": "reward-token", "preset": "cpu-tiny", "export_id": export_id, "config": {"no_such_field": 1}},
         "no_such_field"),
        ({"kind": "reward-token", "preset": "cpu-tiny", "export_id": export_id, "config": {"learning_rate": "fast"}},
         "learning_rate"),
        ({"kind": "reward-tokens", "preset": "cpu-tiny", "export_id": export_id}, "unknown kind"),
        ({"kind": "ppo-token", "preset": "tpu", "export_id": export_id}, "unknown preset"),
        ({"kind": "reward-token", "preset": "cpu-tiny", "export_id": "nope"}, "export 'nope' not found"),
        ({"kind": "ppo-token", "preset": "cpu-tiny", "export_id": export_id,
          "config": {"token_reward_model": "job:999"}}, "not a succeeded job"),
    ]
    for body, needle in cases:
        resp = client.post("/api/v1/training-jobs", json=body, headers=eng)
        assert resp.status_code == 422, (body, resp.text)
        assert needle in resp.text
    assert client.get("/api/v1/training-jobs", headers=eng).json() == []


def test_only_engineers_and_admins_see_or_launch_jobs(client, as_role, export_id):
    body = {"kind": "reward-token", "preset": "cpu-tiny", "export_id": export_id}
    for role in ("annotator", "reviewer"):
        assert client.post("/api/v1/training-jobs", json=body, headers=as_role(role)).status_code == 403
        assert client.get("/api/v1/training-jobs", headers=as_role(role)).status_code == 403
    assert client.get("/api/v1/training-jobs").status_code == 401
    assert client.get("/api/v1/training-jobs", headers=as_role("admin")).status_code == 200
