"""With Redis: the semaphore itself, and the one-statement claim path, tasks called in-process."""

import time

import pytest
import redis
from celery.exceptions import Retry
from sqlalchemy import select

from app.models import AutoEditTask, Edit
from app.services.autoedit.batches import batch_progress, create_batch
from app.services.autoedit.limiter import RedisLimiter
from app.services.autoedit.options import BatchRequest, BatchTiming
from app.services.autoedit.runner import run_item
from tests.autoedit.conftest import FAST_TIMING, drain
from worker import tasks_autoedit


def test_the_semaphore_caps_holders_and_frees_dead_ones(redis_url: str) -> None:
    limiter = RedisLimiter(redis.Redis.from_url(redis_url))
    held = [limiter.try_acquire(7, 3, lease_s=60) for _ in range(3)]
    assert all(held) and limiter.try_acquire(7, 3, lease_s=60) is None
    limiter.release(7, held[0])
    assert limiter.try_acquire(7, 3, lease_s=60) is not None
    assert limiter.try_acquire(8, 1, lease_s=0.2) is not None  # another batch has its own slots
    assert limiter.acquire(8, 1, lease_s=0.2, wait_s=0.05) is None
    time.sleep(0.3)  # the holder "died": its lease runs out
    assert limiter.acquire(8, 1, lease_s=0.2, wait_s=0.05) is not None


def test_a_batch_through_the_fast_path(session, redis_settings, sent, fake, marked_dataset) -> None:
    dataset, ids = marked_dataset(["One wrong. [[fake:rate_limitx1]]", "Two wrong.", "Three wrong. [[fake:no_delimiter]]"])
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, timing=BatchTiming(**FAST_TIMING)))
    first = next(m[1][0] for m in sent if m[0] == "redline.autoedit.edit_item")
    with pytest.raises(Retry):  # the 429
        tasks_autoedit.edit_item(first)
    assert tasks_autoedit.edit_item(first) == "done"
    assert tasks_autoedit.edit_item(first) == "skip"  # called again: nothing new
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert (progress["status"], progress["done"], progress["failed"]) == ("succeeded", 2, 1)
    edits = session.scalars(select(Edit).where(Edit.batch_id == batch.id)).all()
    assert sorted(e.item_id for e in edits) == ids[:2]
    assert session.scalar(select(AutoEditTask.attempts).where(AutoEditTask.id == first)) == 2


def test_no_free_slot_hands_the_task_back_without_an_attempt(
    session, redis_settings, sent, fake, marked_dataset, monkeypatch
) -> None:
    from app.services.autoedit import runner

    dataset, _ = marked_dataset(n=1)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=1,
                                                                timing=BatchTiming(**FAST_TIMING)))
    task_id = next(m[1][0] for m in sent if m[0] == "redline.autoedit.edit_item")
    limiter = RedisLimiter(redis.Redis.from_url(redis_settings.redis_url))
    blocker = limiter.try_acquire(batch.id, 1, lease_s=30)
    monkeypatch.setattr(runner, "SLOT_WAIT_S", 0.1)
    outcome = run_item(task_id, redis_settings)
    assert outcome.action == "wait" and fake.stats.requests == 0
    session.expire_all()
    task = session.get(AutoEditTask, task_id)
    assert (task.status, task.attempts) == ("queued", 0)
    limiter.release(batch.id, blocker)
    assert run_item(task_id, redis_settings).action == "done"


def test_a_refused_key_stops_the_batch_on_the_fast_path_too(
    session, redis_settings, sent, fake, marked_dataset
) -> None:
    fake.config.expected_key = "sk-ant-something-else"
    dataset, _ = marked_dataset(n=6)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=2,
                                                                timing=BatchTiming(**FAST_TIMING)))
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "failed" and "API key was refused" in progress["error"]
    assert fake.stats.requests == 1 and (progress["failed"], progress["cancelled"]) == (1, 5)


def test_a_cancel_keeps_home_the_calls_waiting_for_a_slot(
    session, redis_settings, sent, fake, marked_dataset, monkeypatch
) -> None:
    import threading

    from app.services.autoedit import runner
    from app.services.autoedit.batches import cancel_batch

    dataset, _ = marked_dataset(n=2)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=1,
                                                                timing=BatchTiming(**FAST_TIMING)))
    task_id = next(m[1][0] for m in sent if m[0] == "redline.autoedit.edit_item")
    limiter = RedisLimiter(redis.Redis.from_url(redis_settings.redis_url))
    limiter.try_acquire(batch.id, 1, lease_s=30)  # another worker's call holds the only slot
    monkeypatch.setattr(runner, "SLOT_WAIT_S", 5.0)
    outcomes: list = []
    waiting = threading.Thread(target=lambda: outcomes.append(run_item(task_id, redis_settings)))
    waiting.start()
    deadline = time.monotonic() + 5
    while session.scalar(select(AutoEditTask.status).where(AutoEditTask.id == task_id)) != "running":
        assert time.monotonic() < deadline, "the task was never claimed"
        session.commit()
        time.sleep(0.02)
    cancel_batch(session, redis_settings, batch.id)
    waiting.join(5)
    assert outcomes[0].action == "skip" and fake.stats.requests == 0
    session.expire_all()
    assert session.get(AutoEditTask, task_id).status == "cancelled"


def test_the_cost_ceiling_holds_with_redis_too(session, redis_settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=20)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=3, max_cost_usd=0.04,
                                                                timing=BatchTiming(**FAST_TIMING)))
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "stopped" and 0 < progress["done"] < 20
    assert progress["cost_usd"] <= 0.04 and progress["reserved_usd"] == 0
    edits_cost = sum(e.cost_usd for e in session.scalars(select(Edit).where(Edit.batch_id == batch.id)))
    assert progress["cost_usd"] == pytest.approx(edits_cost, abs=1e-6)  # a ceiling batch books edits on its row too
