"""The batch watcher: finds items lost with a dead worker, keeps the window full, ends the batch,
and (batches mode) polls the Message Batch.

One watcher chain runs per batch: a task that reschedules itself with a countdown while it holds
the batch's current `watch_token`. A worker that starts, and the periodic sweep, hand out a new
token when a chain may have died with its worker; the old chain then stops at its next pass.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.db import get_sessionmaker
from app.models import AutoEditBatch, AutoEditTask, Item
from app.models.base import utcnow
from app.services.autoedit import ledger
from app.services.autoedit.locks import lock_batch, lock_task
from app.services.autoedit.options import BatchTiming
from app.services.autoedit.pricing import worst_case_cost_usd
from app.services.autoedit.prompt import max_tokens_for, render_prompt
from app.services.autoedit.states import (
    B_FAILED,
    B_QUEUED,
    BATCH_ACTIVE,
    CANCELLED,
    FAILED,
    QUEUED,
    RETRYING,
    RUNNING,
    TASK_ACTIVE,
)


@dataclass
class WatchResult:
    keep_watching: bool
    countdown: float = 0.0
    send_ids: list[int] = field(default_factory=list)
    poll_due: bool = False
    submit_due: bool = False


def start_watch(batch: AutoEditBatch) -> str:
    """A new watcher token on the batch (caller commits, then sends the first pass with it)."""
    token = uuid.uuid4().hex
    batch.options = {**(batch.options or {}), "watch_token": token, "watched_at": utcnow().isoformat()}
    return token


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def watch_pass(batch_id: int, token: str | None) -> WatchResult:
    session = get_sessionmaker()()
    try:
        return _watch_pass(session, batch_id, token)
    finally:
        session.close()


def _watch_pass(session: Session, batch_id: int, token: str | None) -> WatchResult:
    batch = session.get(AutoEditBatch, batch_id)
    if batch is None or (token is not None and (batch.options or {}).get("watch_token") != token):
        return WatchResult(keep_watching=False)  # gone, or a newer chain took over
    timing = BatchTiming.from_options(batch.options)
    now = utcnow()
    send_ids = recover_lost(session, batch, now - timedelta(seconds=timing.stale_after_s), timing)
    batch = lock_batch(session, batch_id)
    assert batch is not None
    if batch.status not in BATCH_ACTIVE:
        ledger.cancel_unstarted(session, batch.id, f"batch {batch.status}")
    send_ids += ledger.fill_window(session, batch)
    session.flush()
    if batch.mode == "messages":
        ledger.finish_if_done(session, batch)
    if token is not None:
        batch.options = {**(batch.options or {}), "watched_at": now.isoformat()}
    still_active = batch.status in BATCH_ACTIVE or ledger.count_active(session, batch.id) > 0
    if batch.mode == "batches" and batch.status in BATCH_ACTIVE:
        result = _remote_step(session, batch, now, timing)
        session.commit()
        return result
    session.commit()
    return WatchResult(still_active, countdown=timing.watch_interval_s, send_ids=send_ids)


def _when(options: dict, key: str, default: datetime) -> datetime:
    value = options.get(key)
    return _aware(datetime.fromisoformat(value)) if value else default


def _remote_step(session: Session, batch: AutoEditBatch, now: datetime, timing: BatchTiming) -> WatchResult:
    """Batches mode: submit when nobody has, poll when due, fail a submission that died half-way."""
    options = batch.options or {}
    if batch.status == B_QUEUED:
        due = _when(options, "submit_retry_at", now) <= now
        return WatchResult(True, countdown=timing.watch_interval_s, submit_due=due)
    if batch.remote_batch_id is None:
        started = _when(options, "submit_started_at", now)
        if now - started > timedelta(seconds=timing.stale_after_s):
            ledger.stop_batch(session, batch, B_FAILED, (
                "the submission to the Message Batches API was interrupted (its worker stopped); a remote "
                "batch may exist: check the Anthropic console before starting these items again"))
            return WatchResult(False)
        return WatchResult(True, countdown=timing.watch_interval_s)
    wait = (_when(options, "next_poll_at", now) - now).total_seconds()
    return WatchResult(True, countdown=min(max(wait, 0.5), timing.poll_max_s), poll_due=wait <= 0)


def recover_lost(session: Session, batch: AutoEditBatch, cutoff: datetime, timing: BatchTiming) -> list[int]:
    """Tasks queued, running or retrying but untouched since `cutoff` were lost with a worker (or a
    broker message): send them again, or fail them once they used up their attempts. Commits."""
    if batch.mode != "messages":
        return []
    stale_ids = list(session.scalars(
        select(AutoEditTask.id).where(
            AutoEditTask.batch_id == batch.id,
            AutoEditTask.status.in_((QUEUED, RUNNING, RETRYING)),
            AutoEditTask.updated_at < cutoff,
        ).order_by(AutoEditTask.id)
    ))
    send_ids = []
    for task_id in stale_ids:
        task = lock_task(session, task_id)
        if task is None or task.status not in (QUEUED, RUNNING, RETRYING) or _aware(task.updated_at) >= cutoff:
            session.commit()
            continue
        if task.status == RUNNING and batch.max_cost_usd is not None:
            _release_lost_reservation(session, batch, task)
        if batch.status not in BATCH_ACTIVE:
            task.status, task.error = CANCELLED, f"batch {batch.status}"
        elif task.attempts >= timing.max_attempts:
            task.status = FAILED
            task.error = f"gave up after {task.attempts} attempts: {task.error or 'its worker stopped answering'}"
        else:
            task.status, task.updated_at = QUEUED, utcnow()
            send_ids.append(task.id)
        session.commit()
    return send_ids


def _release_lost_reservation(session: Session, batch: AutoEditBatch, task: AutoEditTask) -> None:
    """The worst case reserved by a call whose worker died; recomputed, since it depends only on the item."""
    item = session.get(Item, task.item_id)
    locked = lock_batch(session, batch.id)
    if item is None or locked is None:
        return
    prompt = render_prompt(locked.prompt_version, item.prompt, item.chosen, item.rejected)
    worst = worst_case_cost_usd(locked.model, prompt.system + prompt.user, max_tokens_for(item.rejected))
    ledger.set_reserved(locked, ledger.reserved_usd(locked) - worst)


def batches_to_rewatch(session: Session, restart_all: bool) -> list[tuple[int, str]]:
    """Active batches (or ended ones with calls still out) whose watcher may have died: give each a
    new token. A worker that just started restarts them all, since its predecessor's pending
    countdown messages are held by the broker until their visibility timeout. Commits."""
    has_active = exists().where(AutoEditTask.batch_id == AutoEditBatch.id, AutoEditTask.status.in_(TASK_ACTIVE))
    batches = session.scalars(
        select(AutoEditBatch).where(AutoEditBatch.status.in_(BATCH_ACTIVE) | has_active)
    ).all()
    now, chosen = utcnow(), []
    for batch in batches:
        timing = BatchTiming.from_options(batch.options)
        seen = _when(batch.options or {}, "watched_at", datetime.min.replace(tzinfo=UTC))
        patience = 3 * max(timing.watch_interval_s, timing.poll_max_s if batch.mode == "batches" else 0) + 30
        if restart_all or now - seen > timedelta(seconds=patience):
            chosen.append((batch.id, start_watch(batch)))
    session.commit()
    return chosen
