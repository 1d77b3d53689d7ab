"""Auto-edit fixtures: a fake Anthropic API, settings pointed at it, captured task messages, datasets
whose items carry behaviour markers, and `drain`, which plays the worker in-process."""

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session

from app.models import Dataset, Item
from tests.conftest import REDIS_TEST_URL
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fixtures_app import *  # noqa: F401,F403

API_KEY = "sk-ant-test-SECRET-7f3a9c2e1b"
FAST_TIMING = {
    "request_timeout_s": 1.0, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "stale_after_s": 2.0,
    "watch_interval_s": 0.2, "poll_initial_s": 0.01, "poll_max_s": 0.05, "max_attempts": 4,
}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(expected_key=API_KEY, retry_after_s=0.05, slow_s=3.0, batch_polls_to_end=2) as server:
        yield server


@pytest.fixture
def settings(db_url: str, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch):
    """Settings on the test database and the fake API, without Redis (the database limits concurrency)."""
    from app import config

    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config.get_settings.cache_clear()
    yield config.get_settings()
    config.get_settings.cache_clear()


CANDIDATE_REDIS_DBS = (13, 14, 15, 10, 9, 8, 7)  # 11 and 12 belong to the jobs and labels tests


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own: claimed with SET NX, so parallel runs pick different ones."""
    base = REDIS_TEST_URL.rsplit("/", 1)[0]
    claim = uuid.uuid4().hex
    for db in CANDIDATE_REDIS_DBS:
        client = redis.Redis.from_url(f"{base}/{db}")
        if client.set("redline:test-claim", claim, nx=True, ex=900):
            client.flushdb()
            client.set("redline:test-claim", claim, ex=900)
            yield f"{base}/{db}"
            client.flushdb()
            return
    pytest.fail(f"every candidate Redis database {CANDIDATE_REDIS_DBS} is claimed by another test run")


@pytest.fixture
def redis_settings(settings, redis_url: str, monkeypatch: pytest.MonkeyPatch):
    """The same settings with Redis: the fast claim path and the Redis semaphore."""
    from app import config

    monkeypatch.setenv("REDIS_URL", redis_url)
    config.get_settings.cache_clear()
    yield config.get_settings()
    config.get_settings.cache_clear()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list, float | None]]:
    """Task messages the services send (name, args, countdown); no broker is touched."""
    from app.services.autoedit import enqueue

    box: list[tuple[str, list, float | None]] = []
    monkeypatch.setattr(enqueue, "_send", box.extend)
    return box


@pytest.fixture(autouse=True)
def one_item_per_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks called here run their own item only and send its successor as a message, so `drain`
    keeps the message order the tests reason about (test_chain.py tests the chains)."""
    from app.services.autoedit import chain

    monkeypatch.setattr(chain, "CHAIN_SECONDS", 0.0)


@pytest.fixture(autouse=True)
def no_label_tasks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from app.services.autoedit import chain, results

    calls: list[int] = []
    monkeypatch.setattr(results, "enqueue_labels", calls.append)
    monkeypatch.setattr(chain, "send_labels_many", calls.extend)
    return calls


def add_items(session: Session, dataset: Dataset, rejected: list[str]) -> list[int]:
    ids = []
    for k, text in enumerate(rejected):
        prompt = f"Question {k}: what colour is the sky on a clear day?"
        item = Item(dataset_id=dataset.id, external_id=f"{dataset.name}-{k}", prompt=prompt,
                    chosen="The sky is blue on a clear day.", rejected=text,
                    content_hash=hashlib.sha256(f"{prompt}\0{text}".encode()).hexdigest())
        session.add(item)
        session.flush()
        ids.append(item.id)
    session.commit()
    return ids


@pytest.fixture
def marked_dataset(session: Session) -> Callable[..., tuple[Dataset, list[int]]]:
    """marked_dataset(["... [[fake:rate_limitx2]]", ...]) or marked_dataset(n=5): a dataset and its item ids."""
    counter = iter(range(1_000_000))

    def make(rejected: list[str] | None = None, n: int = 5, **columns: Any) -> tuple[Dataset, list[int]]:
        dataset = Dataset(name=f"ae-{next(counter)}", **columns)
        session.add(dataset)
        session.flush()
        texts = rejected if rejected is not None else [f"The sky is wrong green, says answer {k}." for k in range(n)]
        return dataset, add_items(session, dataset, texts)

    return make


def drain(sent: list[tuple[str, list, float | None]], max_steps: int = 5000) -> Counter:
    """Run the captured item and submit messages in order, as a worker would (watcher messages are
    left in `sent` for the test to run); a retry goes to the back of the queue."""
    from celery.exceptions import Retry

    from app.services.autoedit.enqueue import EDIT_ITEM, SUBMIT_REMOTE
    from worker import tasks_autoedit

    seen: Counter = Counter()
    pending = [m for m in sent if m[0] in (EDIT_ITEM, SUBMIT_REMOTE)]
    sent[:] = [m for m in sent if m[0] not in (EDIT_ITEM, SUBMIT_REMOTE)]
    for _ in range(max_steps):
        if not pending:
            pending = [m for m in sent if m[0] in (EDIT_ITEM, SUBMIT_REMOTE)]
            sent[:] = [m for m in sent if m[0] not in (EDIT_ITEM, SUBMIT_REMOTE)]
            if not pending:
                return seen
        name, args, countdown = pending.pop(0)
        task = tasks_autoedit.edit_item if name == EDIT_ITEM else tasks_autoedit.submit_remote_batch
        try:
            seen[task(*args)] += 1
        except Retry:
            seen["retry"] += 1
            pending.append((name, args, countdown))
    raise AssertionError(f"drain did not finish in {max_steps} steps: {seen}")
