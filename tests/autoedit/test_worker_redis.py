"""A 240-item batch through real Redis, real PostgreSQL and real worker processes: the CLI starts
and follows it, the worker is SIGKILLed half-way, two fresh workers finish it, and every item ends
with exactly one model edit while calls in flight never exceed the batch's concurrency."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import AutoEditTask, Dataset, Edit
from tests.autoedit.conftest import API_KEY, add_items
from tests.conftest import reset_app_state
from tests.fakes.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

ITEMS = 240
CONCURRENCY = 8


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(expected_key=API_KEY, latency_s=0.15, retry_after_s=0.1) as server:
        yield server


@pytest.fixture
def env(pg_only_url: str, redis_url: str, fake: FakeAnthropic, tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {
        "DATABASE_URL": pg_only_url, "REDIS_URL": redis_url, "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": fake.base_url, "MODEL_CACHE_DIR": str(tmp_path.parent / "models"),
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
def spawn(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """spawn(name, *argv): a child process with the test's environment, output in tmp_path/name.log."""
    procs: list[subprocess.Popen] = []

    def start(name: str, *argv: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("wb")
        proc = subprocess.Popen(list(argv), env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def worker_argv(name: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", "default",
            "-P", "threads", "-c", "16", "--loglevel", "INFO", "-n", f"{name}@%h"]


def counts(batch_id: int) -> dict[str, int]:
    from app.db import get_sessionmaker

    with get_sessionmaker()() as session:
        rows = session.execute(select(AutoEditTask.status, func.count())
                               .where(AutoEditTask.batch_id == batch_id).group_by(AutoEditTask.status))
        return dict(rows.tuples().all())


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = {p.name: p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("*.log"))}
    raise AssertionError(f"timed out waiting for {what}; logs: {tails}")


def test_a_batch_survives_a_killed_worker_and_ends_with_one_edit_per_item(
    env: dict[str, str], spawn, fake: FakeAnthropic, tmp_path: Path
) -> None:
    from app.db import get_sessionmaker
    from training.tiny import tiny_model_dir

    with get_sessionmaker()() as session:  # the tiny tokenizer keeps the token-labels tasks quick
        dataset = Dataset(name="redis-batch", tokenizer=str(tiny_model_dir(env["MODEL_CACHE_DIR"])))
        session.add(dataset)
        session.flush()
        texts = [f"Answer {k}: the sky is wrong green." + (" [[fake:rate_limitx1]]" if k % 20 == 0 else "")
                 for k in range(ITEMS + 10)]
        add_items(session, dataset, texts)

    timing = ("--interval", "0.5", "--timing", "request_timeout_s=2", "--timing", "backoff_base_s=0.1",
              "--timing", "backoff_max_s=0.5", "--timing", "stale_after_s=4", "--timing", "watch_interval_s=0.5")
    cli = spawn("cli", sys.executable, "-m", "app.cli", "autoedit", "redis-batch", "--limit", str(ITEMS),
                "--concurrency", str(CONCURRENCY), *timing)
    wait_for(lambda: (tmp_path / "cli.log").read_text().startswith("batch "), 60, "the CLI to start the batch", tmp_path)
    batch_id = int((tmp_path / "cli.log").read_text().split()[1])

    first = spawn("worker-0", *worker_argv("autoedit-test-0"))
    wait_for(lambda: counts(batch_id).get("done", 0) >= 60, 90, "60 items done", tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = counts(batch_id)
    assert at_kill.get("done", 0) < ITEMS, f"the batch finished before the kill: {at_kill}"

    for n in (1, 2):  # two workers: the limit must hold across them
        spawn(f"worker-{n}", *worker_argv(f"autoedit-test-{n}"))
    assert cli.wait(120) == 0, (tmp_path / "cli.log").read_text()[-3000:]

    final = counts(batch_id)
    assert final == {"done": ITEMS}, final
    with get_sessionmaker()() as session:
        per_item = session.execute(
            select(Edit.item_id, func.count()).where(Edit.batch_id == batch_id).group_by(Edit.item_id)
        ).tuples().all()
        assert len(per_item) == ITEMS and {n for _, n in per_item} == {1}
        assert session.scalar(select(func.count()).select_from(Edit).where(Edit.model_name.is_(None))) == 0
    assert fake.stats.max_in_flight <= CONCURRENCY
    assert fake.stats.by_behaviour["rate_limit"] >= ITEMS // 20  # retries went through the broker
    log = (tmp_path / "cli.log").read_text()
    assert f"done {ITEMS}/{ITEMS}" in log and "succeeded" in log and API_KEY not in log
    for worker_log in tmp_path.glob("worker-*.log"):
        assert API_KEY not in worker_log.read_text(errors="replace")
