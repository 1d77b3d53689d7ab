"""The watcher: items lost with a dead worker come back, hopeless ones fail, one chain per batch."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask
from app.models.base import utcnow
from app.services.autoedit.batches import batch_progress, create_batch
from app.services.autoedit.enqueue import EDIT_ITEM, WATCH_BATCH
from app.services.autoedit.options import BatchRequest, BatchTiming
from app.services.autoedit.runner import claim_task
from app.services.autoedit.watcher import batches_to_rewatch
from tests.autoedit.conftest import FAST_TIMING, drain
from worker import tasks_autoedit


def start(session: Session, settings, dataset, **fields) -> AutoEditBatch:
    return create_batch(session, settings, BatchRequest(dataset=dataset.name, timing=BatchTiming(**FAST_TIMING), **fields))


def age(session: Session, task_ids: list[int], seconds: float = 60) -> None:
    session.execute(update(AutoEditTask).where(AutoEditTask.id.in_(task_ids))
                    .values(updated_at=utcnow() - timedelta(seconds=seconds)))
    session.commit()


def test_a_call_lost_with_its_worker_is_sent_again_and_its_reservation_freed(
    session, settings, sent, fake, marked_dataset
) -> None:
    dataset, _ = marked_dataset(n=3)
    batch = start(session, settings, dataset, concurrency=1, max_cost_usd=5.0)
    lost = sent.pop(0)[1][0]
    assert not hasattr(claim_task(session, lost, db_limit=True), "action")  # running, then the worker "dies"
    session.expire_all()
    assert batch_progress(session, batch.id)["reserved_usd"] > 0
    age(session, [lost])
    before = len(sent)
    assert tasks_autoedit.watch_batch(batch.id, None) == "watching"
    assert sent[before:] == [(EDIT_ITEM, [lost], None)]
    assert batch_progress(session, batch.id)["reserved_usd"] == 0
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["done"] == 3 and progress["status"] == "succeeded"
    assert session.scalars(select(AutoEditTask.attempts).where(AutoEditTask.id == lost)).one() == 2


def test_an_item_lost_too_often_fails_instead_of_looping(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=1)
    batch = start(session, settings, dataset)
    task_id = sent.pop(0)[1][0]
    session.execute(update(AutoEditTask).where(AutoEditTask.id == task_id).values(status="running", attempts=4))
    session.commit()
    age(session, [task_id])
    tasks_autoedit.watch_batch(batch.id, None)
    progress = batch_progress(session, batch.id)
    assert progress["failed"] == 1 and progress["status"] == "succeeded"
    assert "gave up after 4 attempts" in progress["recent_failures"][0]["error"]


def test_one_watcher_chain_per_batch(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=2)
    batch = start(session, settings, dataset)
    first_token = next(m[1][1] for m in sent if m[0] == WATCH_BATCH)
    sent.clear()
    assert tasks_autoedit.watch_batch(batch.id, first_token) == "watching"
    assert sent == [(WATCH_BATCH, [batch.id, first_token], FAST_TIMING["watch_interval_s"])]
    assert batches_to_rewatch(session, restart_all=False) == []  # its watcher was seen just now
    [(batch_id, new_token)] = batches_to_rewatch(session, restart_all=True)  # a worker started
    assert batch_id == batch.id and new_token != first_token
    sent.clear()
    assert tasks_autoedit.watch_batch(batch.id, first_token) == "ended"  # the old chain stops
    assert sent == []


def test_the_watcher_ends_a_batch_and_then_stops(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=2)
    batch = start(session, settings, dataset)
    token = next(m[1][1] for m in sent if m[0] == WATCH_BATCH)
    drain(sent)
    sent.clear()
    assert tasks_autoedit.watch_batch(batch.id, token) == "ended"
    assert sent == []
