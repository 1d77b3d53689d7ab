"""Batches mode: the items go to the Message Batches API (half price) as one batch with
custom_id = item id; the watcher polls it with back-off and collects the results once it ends.

With a cost ceiling, only the first items whose worst-case cost fits under it are submitted; the
rest are cancelled with the reason. Expired and errored entries fail their item with the reason.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import get_sessionmaker
from app.models import AutoEditBatch, AutoEditTask, Item
from app.models.base import utcnow
from app.services.autoedit import ledger
from app.services.autoedit.client import (
    ApiFailure,
    RetryableApiError,
    api_call,
    build_client,
    redact,
    reply_from_message,
)
from app.services.autoedit.locks import lock_batch
from app.services.autoedit.options import BatchTiming
from app.services.autoedit.pricing import cost_usd, worst_case_cost_usd
from app.services.autoedit.prompt import max_tokens_for, render_prompt
from app.services.autoedit.results import TaskRef, record_answer, record_failure
from app.services.autoedit.runner import retry_delay
from app.services.autoedit.states import (
    B_CANCELLED,
    B_CANCELLING,
    B_FAILED,
    B_QUEUED,
    B_RUNNING,
    B_STOPPED,
    CANCELLED,
    PENDING,
    RUNNING,
)

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 200 * 1024 * 1024  # the API takes up to 256 MB per Message Batch


@dataclass
class RemoteStep:
    """submitted | waiting | collected | retry | failed | stopped | skip, and when to look again."""

    action: str
    delay_s: float = 0.0
    detail: str = ""


def submit_remote(batch_id: int, settings: Settings) -> RemoteStep:
    session = get_sessionmaker()()
    try:
        return _submit(session, batch_id, settings)
    finally:
        session.close()


def _submit(session: Session, batch_id: int, settings: Settings) -> RemoteStep:
    batch = lock_batch(session, batch_id)
    if batch is None or batch.status != B_QUEUED:
        session.commit()
        return RemoteStep("skip", detail="already submitted or ended")
    requests, task_ids, worst_total = _build_requests(session, batch)
    if not task_ids:
        ledger.stop_batch(session, batch, B_STOPPED,
                          f"cost ceiling of ${batch.max_cost_usd:.4f} is below the worst-case cost of the first item")
        session.commit()
        return RemoteStep("stopped")
    size = len(json.dumps(requests))
    if size > MAX_REQUEST_BYTES:
        ledger.stop_batch(session, batch, B_FAILED,
                          f"the Message Batch would be {size / 1e6:.0f} MB (the API takes 256 MB): start it with a smaller limit")
        session.commit()
        return RemoteStep("failed")
    batch.status = B_RUNNING
    batch.options = {**(batch.options or {}), "submit_started_at": utcnow().isoformat(), "reserved_usd": worst_total}
    session.commit()  # from here a crash leaves a trace the watcher reports instead of submitting twice

    timing = BatchTiming.from_options(batch.options)
    client = build_client(settings, timing.request_timeout_s)
    try:
        remote = api_call(client, client.messages.batches.create, requests=requests, about_model=batch.model)
    except ApiFailure as exc:
        return _submit_failed(session, batch_id, exc, settings, timing)
    batch = lock_batch(session, batch_id)
    assert batch is not None
    batch.remote_batch_id = remote.id
    now = utcnow()
    batch.options = {**(batch.options or {}), "poll_count": 0,
                     "next_poll_at": (now + timedelta(seconds=timing.poll_initial_s)).isoformat()}
    for start in range(0, len(task_ids), 1000):
        for task in session.scalars(select(AutoEditTask).where(AutoEditTask.id.in_(task_ids[start:start + 1000]))):
            task.status, task.attempts, task.updated_at = RUNNING, task.attempts + 1, now
    session.commit()
    log.info("autoedit batch %s submitted as Message Batch %s (%d requests)", batch_id, remote.id, len(task_ids))
    return RemoteStep("submitted", delay_s=timing.poll_initial_s)


def _build_requests(session: Session, batch: AutoEditBatch) -> tuple[list[dict[str, Any]], list[int], float]:
    """The requests that fit under the ceiling (in item order); the tasks after them are cancelled."""
    rows = session.execute(
        select(AutoEditTask.id, Item).join(Item, Item.id == AutoEditTask.item_id)
        .where(AutoEditTask.batch_id == batch.id, AutoEditTask.status == PENDING).order_by(AutoEditTask.id)
    ).all()
    requests: list[dict[str, Any]] = []
    task_ids: list[int] = []
    total = 0.0
    for task_id, item in rows:
        prompt = render_prompt(batch.prompt_version, item.prompt, item.chosen, item.rejected)
        max_tokens = max_tokens_for(item.rejected)
        worst = worst_case_cost_usd(batch.model, prompt.system + prompt.user, max_tokens, batch_api=True)
        if batch.max_cost_usd is not None and total + worst > batch.max_cost_usd:
            break
        requests.append({"custom_id": str(item.id), "params": prompt.as_request(batch.model, max_tokens)})
        task_ids.append(task_id)
        total += worst
    if task_ids and len(task_ids) < len(rows):
        over = [row[0] for row in rows[len(task_ids):]]
        message = f"not submitted: over the cost ceiling of ${batch.max_cost_usd:.4f} (worst case)"
        for task in session.scalars(select(AutoEditTask).where(AutoEditTask.id.in_(over))):
            task.status, task.error = CANCELLED, message
        batch.options = {**(batch.options or {}), "ceiling_cut": len(over)}
    return requests, task_ids, total


def _submit_failed(session: Session, batch_id: int, exc: ApiFailure, settings: Settings, timing: BatchTiming) -> RemoteStep:
    batch = lock_batch(session, batch_id)
    assert batch is not None
    message = redact(exc.message, settings)
    if isinstance(exc, RetryableApiError):
        attempts = int((batch.options or {}).get("submit_attempts", 0)) + 1
        delay = retry_delay(attempts, exc.retry_after, timing)
        batch.status = B_QUEUED
        batch.options = {**(batch.options or {}), "submit_attempts": attempts, "submit_started_at": None,
                         "reserved_usd": 0.0,
                         "submit_retry_at": (utcnow() + timedelta(seconds=delay)).isoformat()}
        batch.error = f"submission attempt {attempts} failed: {message}; retrying"
        session.commit()
        return RemoteStep("retry", delay_s=delay, detail=message)
    ledger.stop_batch(session, batch, B_FAILED, f"stopped: {message}")
    ledger.set_reserved(batch, 0.0)
    session.commit()
    return RemoteStep("failed", detail=message)


def poll_remote(batch_id: int, settings: Settings) -> RemoteStep:
    session = get_sessionmaker()()
    try:
        return _poll(session, batch_id, settings)
    finally:
        session.close()


def _poll(session: Session, batch_id: int, settings: Settings) -> RemoteStep:
    batch = session.get(AutoEditBatch, batch_id)
    if batch is None or batch.remote_batch_id is None or batch.status not in (B_RUNNING, B_CANCELLING):
        return RemoteStep("skip")
    timing = BatchTiming.from_options(batch.options)
    client = build_client(settings, timing.request_timeout_s)
    remote_id = batch.remote_batch_id
    try:
        if batch.status == B_CANCELLING and not (batch.options or {}).get("cancel_sent"):
            api_call(client, client.messages.batches.cancel, remote_id)
            batch.options = {**(batch.options or {}), "cancel_sent": True}
            session.commit()
        remote = api_call(client, client.messages.batches.retrieve, remote_id)
        if remote.processing_status == "ended":
            return _collect(session, batch_id, client, settings)
    except ApiFailure as exc:
        if not isinstance(exc, RetryableApiError):
            locked = lock_batch(session, batch_id)
            assert locked is not None
            ledger.stop_batch(session, locked, B_FAILED, f"stopped while polling Message Batch {remote_id}: "
                              f"{redact(exc.message, settings)}")
            session.commit()
            return RemoteStep("failed", detail=exc.message)
        log.warning("autoedit batch %s: polling failed (%s); trying again later", batch_id, exc.message)
    return _schedule_poll(session, batch_id, timing)


def _schedule_poll(session: Session, batch_id: int, timing: BatchTiming) -> RemoteStep:
    batch = lock_batch(session, batch_id)
    assert batch is not None
    count = int((batch.options or {}).get("poll_count", 0)) + 1
    delay = min(timing.poll_max_s, timing.poll_initial_s * 2 ** count)
    batch.options = {**(batch.options or {}), "poll_count": count,
                     "next_poll_at": (utcnow() + timedelta(seconds=delay)).isoformat()}
    session.commit()
    return RemoteStep("waiting", delay_s=delay)


def _collect(session: Session, batch_id: int, client: Any, settings: Settings) -> RemoteStep:
    """Store every result (each commits on its own, so a crash half-way loses nothing: the next
    pass skips the items already stored), fail items with no result, then end the batch."""
    batch = session.get(AutoEditBatch, batch_id)
    assert batch is not None and batch.remote_batch_id is not None
    model = batch.model
    running = dict(session.execute(
        select(AutoEditTask.item_id, AutoEditTask.id).where(AutoEditTask.batch_id == batch_id, AutoEditTask.status == RUNNING)
    ).tuples().all())
    session.commit()
    for entry in api_call(client, client.messages.batches.results, batch.remote_batch_id):
        task_id = running.pop(int(entry.custom_id), None) if entry.custom_id.isdigit() else None
        if task_id is not None:
            _record_entry(session, task_id, entry.result, model, settings)
    for task_id in running.values():
        record_failure(session, task_id, "the Message Batch returned no result for this item")
    batch = lock_batch(session, batch_id)
    assert batch is not None
    ledger.set_reserved(batch, 0.0)
    cut = int((batch.options or {}).get("ceiling_cut", 0))
    if batch.status == B_CANCELLING:
        batch.status, batch.finished_at = B_CANCELLED, utcnow()
    elif ledger.finish_if_done(session, batch, B_STOPPED if cut else "succeeded") and cut:
        batch.error = f"cost ceiling of ${batch.max_cost_usd:.4f}: {cut} items were not submitted"
    session.commit()
    return RemoteStep("collected")


def _record_entry(session: Session, task_id: int, result: Any, model: str, settings: Settings) -> None:
    kind = getattr(result, "type", "")
    if kind == "succeeded":
        reply = reply_from_message(result.message)
        task = session.get(AutoEditTask, task_id)
        assert task is not None
        record_answer(session, TaskRef(task_id, task.batch_id, task.item_id), reply.text, reply.stop_reason,
                      reply.usage, cost_usd(model, reply.usage, batch_api=True))
    elif kind == "errored":
        error = getattr(getattr(result, "error", None), "error", None)
        detail = f"{getattr(error, 'type', 'error')}: {getattr(error, 'message', '')}"
        record_failure(session, task_id, redact(f"errored in the Message Batch ({detail})", settings))
    elif kind == "expired":
        record_failure(session, task_id, "expired: the Message Batch ended (after 24 h) before this request ran; "
                       "start a new batch for it")
    else:
        record_failure(session, task_id, f"not run: the Message Batch entry was {kind or 'unknown'}", status=CANCELLED)
