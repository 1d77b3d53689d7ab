"""Batches mode against the fake Message Batches API: submit once, poll with back-off, collect
results (succeeded, errored, expired, canceled), the cost ceiling and cancel."""

import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Edit
from app.models.base import utcnow
from app.services.autoedit.batches import batch_progress, cancel_batch, create_batch
from app.services.autoedit.enqueue import SUBMIT_REMOTE
from app.services.autoedit.options import BatchRequest, BatchTiming
from app.services.autoedit.pricing import Usage, cost_usd
from tests.autoedit.conftest import FAST_TIMING, drain
from worker import tasks_autoedit


def start(session: Session, settings, dataset, **fields) -> AutoEditBatch:
    request = BatchRequest(dataset=dataset.name, mode="batches", timing=BatchTiming(**FAST_TIMING), **fields)
    return create_batch(session, settings, request)


def watch_until_ended(session: Session, batch_id: int, passes: int = 40) -> dict:
    for _ in range(passes):
        progress = batch_progress(session, batch_id)
        if progress["ended"]:
            return progress
        time.sleep(0.06)  # past poll_max_s, so every pass polls
        tasks_autoedit.watch_batch(batch_id, None)
    raise AssertionError(f"batch {batch_id} did not end: {batch_progress(session, batch_id)}")


def test_a_batch_is_submitted_once_polled_and_collected(session, settings, sent, fake, marked_dataset) -> None:
    dataset, ids = marked_dataset(["One wrong.", "Two wrong.", "Three. [[fake:expired]]", "Four. [[fake:errored]]",
                                   "Five. [[fake:no_delimiter]]"])
    batch = start(session, settings, dataset)
    assert batch.status == "queued" and [m[0] for m in sent].count(SUBMIT_REMOTE) == 1
    assert drain(sent)["submitted"] == 1
    assert tasks_autoedit.submit_remote_batch(batch.id) == "skip"  # a redelivered submit sends nothing
    assert len(fake.batches) == 1
    remote = next(iter(fake.batches.values()))
    assert [r["custom_id"] for r in remote.requests] == [str(i) for i in ids]
    session.expire_all()
    assert session.get(AutoEditBatch, batch.id).remote_batch_id == remote.id

    progress = watch_until_ended(session, batch.id)
    assert remote.polls == 3  # in_progress, ended, and the SDK reads results_url once more
    assert progress["status"] == "succeeded" and progress["reserved_usd"] == 0
    assert (progress["done"], progress["failed"]) == (2, 3)
    errors = dict(session.execute(select(AutoEditTask.item_id, AutoEditTask.error)
                                  .where(AutoEditTask.batch_id == batch.id)).tuples().all())
    assert errors[ids[2]].startswith("expired: the Message Batch ended")
    assert errors[ids[3]] == "errored in the Message Batch (invalid_request_error: prompt is too long)"
    assert errors[ids[4]].startswith("parse failure")
    edit = session.scalars(select(Edit).where(Edit.item_id == ids[0])).one()
    assert edit.edited_text == "One right." and edit.batch_id == batch.id
    usage = Usage(edit.usage["input_tokens"], edit.usage["output_tokens"])
    assert edit.cost_usd == cost_usd("claude-sonnet-4-5", usage, batch_api=True)  # half the Messages price


def test_polling_backs_off_between_polls(session, settings, sent, fake, marked_dataset) -> None:
    from app.services.autoedit.remote import poll_remote

    fake.config.batch_polls_to_end = 99
    dataset, _ = marked_dataset(n=2)
    batch = start(session, settings, dataset)
    drain(sent)
    waits = [poll_remote(batch.id, settings).delay_s for _ in range(4)]
    assert waits == [0.02, 0.04, 0.05, 0.05]  # poll_initial_s doubling, capped at poll_max_s


def test_the_cost_ceiling_submits_only_what_fits(session, settings, sent, fake, marked_dataset) -> None:
    dataset, ids = marked_dataset(n=10)
    batch = start(session, settings, dataset, max_cost_usd=0.02)  # ~$0.006 worst case per item at batch price
    drain(sent)
    submitted = next(iter(fake.batches.values())).requests
    assert 0 < len(submitted) < 10
    progress = watch_until_ended(session, batch.id)
    assert progress["status"] == "stopped" and f"{10 - len(submitted)} items were not submitted" in progress["error"]
    assert progress["done"] == len(submitted) and progress["cancelled"] == 10 - len(submitted)
    assert progress["cost_usd"] <= 0.02


def test_cancel_cancels_the_remote_batch_and_keeps_what_it_finished(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=6)
    fake.config.batch_polls_to_end = 3
    batch = start(session, settings, dataset)
    drain(sent)
    assert cancel_batch(session, settings, batch.id).status == "cancelling"
    progress = watch_until_ended(session, batch.id)
    assert next(iter(fake.batches.values())).cancel_requested
    assert progress["status"] == "cancelled" and (progress["done"], progress["cancelled"]) == (3, 3)


def test_a_rate_limited_submission_is_retried_and_a_refused_one_fails(session, settings, sent, fake, marked_dataset) -> None:
    from celery.exceptions import Retry

    fake.config.batch_create_errors = ["rate_limit"]
    dataset, _ = marked_dataset(n=2)
    batch = start(session, settings, dataset)
    sent.clear()
    try:
        tasks_autoedit.submit_remote_batch(batch.id)
        raise AssertionError("expected a retry")
    except Retry:
        pass
    session.expire_all()
    assert session.get(AutoEditBatch, batch.id).status == "queued"
    assert tasks_autoedit.submit_remote_batch(batch.id) == "submitted"

    fake.config.batch_create_errors = ["unauthorized"]
    other, _ = marked_dataset(n=2)
    refused = start(session, settings, other)
    assert tasks_autoedit.submit_remote_batch(refused.id) == "failed"
    progress = batch_progress(session, refused.id)
    assert progress["status"] == "failed" and "API key was refused" in progress["error"]
    assert progress["cancelled"] == 2


def test_a_submission_that_died_half_way_is_reported_not_repeated(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=2)
    batch = start(session, settings, dataset)
    row = session.get(AutoEditBatch, batch.id)
    row.status = "running"  # what a worker killed during the create call leaves behind
    row.options = {**row.options, "submit_started_at": (utcnow() - timedelta(seconds=60)).isoformat()}
    session.commit()
    tasks_autoedit.watch_batch(batch.id, None)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "failed" and "check the Anthropic console" in progress["error"]
    assert fake.batches == {}
