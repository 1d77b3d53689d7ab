"""Messages mode, one item: claim the task, take a concurrency slot, call Claude, store the answer.

The claim comes first so that a slot is only ever held by a call that will go out; the slot is
given back as soon as the call returns, before the writes. `run_item` never raises for API
trouble; it returns an Outcome that the Celery task turns into a retry with a countdown (`retry`,
`wait`) or into messages for the next items (`send_ids`).
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import get_sessionmaker
from app.models import AutoEditBatch, AutoEditTask, Item
from app.models.base import utcnow
from app.services.autoedit import fastpath, ledger
from app.services.autoedit.client import (
    ApiFailure,
    FatalApiError,
    ModelReply,
    RetryableApiError,
    build_client,
    call_model,
    redact,
)
from app.services.autoedit.limiter import BatchStopped, RedisLimiter, make_limiter
from app.services.autoedit.locks import lock_batch, lock_task
from app.services.autoedit.options import BatchTiming
from app.services.autoedit.pricing import cost_usd, worst_case_cost_usd
from app.services.autoedit.prompt import max_tokens_for, render_prompt
from app.services.autoedit.results import TaskRef, record_answer, record_answer_fast, record_failure
from app.services.autoedit.states import (
    B_FAILED,
    B_RUNNING,
    B_STOPPED,
    CANCELLED,
    FAILED,
    QUEUED,
    RETRYING,
    RUNNING,
    TASK_CLAIMABLE,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
SLOT_WAIT_S = 5.0  # wait this long for a free slot in-thread before handing the task back to the broker


@dataclass
class Outcome:
    """done | failed | skip (nothing to do) | retry (API trouble) | wait (no slot or budget yet) | stopped."""

    action: str
    delay_s: float = 0.0
    send_ids: list[int] = field(default_factory=list)
    detail: str = ""
    batch_id: int | None = None
    """Set with `stopped`: the batch that stopped."""


@dataclass(frozen=True)
class Claim:
    """A task moved to running: what its call needs, and what its answer is stored against."""

    ref: TaskRef
    model: str
    request: dict[str, Any]
    reserved: float
    timing: BatchTiming
    attempts: int
    concurrency: int
    fast: fastpath.FastClaim | None = None

    @classmethod
    def of_fast(cls, fc: fastpath.FastClaim) -> "Claim":
        return cls(TaskRef(fc.task_id, fc.batch_id, fc.item_id), fc.model, fc.request, 0.0, fc.timing,
                   fc.attempts, fc.concurrency, fc)

    @property
    def task_id(self) -> int:
        return self.ref.task_id

    @property
    def batch_id(self) -> int:
        return self.ref.batch_id


def retry_delay(attempt: int, retry_after: float | None, timing: BatchTiming, rng: random.Random | None = None) -> float:
    """Exponential back-off with jitter (half to all of base * 2^(attempt-1)), never sooner than the
    server's retry-after, capped at backoff_max_s."""
    rng = rng or random.Random()
    backoff = min(timing.backoff_max_s, timing.backoff_base_s * 2 ** max(0, attempt - 1))
    delay = rng.uniform(backoff / 2, backoff)
    if retry_after is not None:
        delay = max(delay, retry_after + rng.uniform(0.0, min(1.0, backoff / 2)))
    return min(delay, timing.backoff_max_s)


def slot_lease_s(timing: BatchTiming) -> float:
    """How long a slot stays taken if its holder dies: past the longest call, short enough that a
    killed worker's slots come back soon."""
    return timing.request_timeout_s * 1.5 + 5.0


def run_item(task_id: int, settings: Settings, labels: list[int] | None = None) -> Outcome:
    """With `labels`, a new edit's id goes there for the caller to send with others (see chain.py);
    without, the edit's token-labels task is sent at once."""
    session = get_sessionmaker()()
    try:
        return _run_item(session, task_id, settings, labels)
    finally:
        session.close()


def _run_item(session: Session, task_id: int, settings: Settings, labels: list[int] | None) -> Outcome:
    limiter = make_limiter(settings)
    fast = fastpath.claim(session, task_id) if limiter is not None else None
    claimed = Claim.of_fast(fast) if fast is not None else claim_task(session, task_id, db_limit=limiter is None)
    if isinstance(claimed, Outcome):
        if claimed.action == "stopped" and limiter is not None and claimed.batch_id is not None:
            limiter.mark_stopped(claimed.batch_id)
        return claimed
    token = None
    if limiter is not None:
        try:
            token = limiter.acquire(claimed.batch_id, claimed.concurrency, slot_lease_s(claimed.timing), SLOT_WAIT_S)
        except BatchStopped:
            _unclaim(session, claimed, CANCELLED)
            return Outcome("skip", detail="the batch was stopped")
        if token is None:
            _unclaim(session, claimed, QUEUED)
            return Outcome("wait", delay_s=random.uniform(0.5, 2.0), detail="no free slot")
    try:
        answer = _call(settings, claimed)
    finally:
        _release(limiter, claimed.batch_id, token)  # the slot frees as soon as the call ends, before the writes
    outcome = _store(session, claimed, answer, settings, labels)
    if outcome.action == "stopped" and limiter is not None:
        limiter.mark_stopped(claimed.batch_id)  # claimed calls still waiting for a slot stay home
    return outcome


def _store(
    session: Session, claimed: "Claim", answer: ModelReply | ApiFailure, settings: Settings, labels: list[int] | None
) -> Outcome:
    if isinstance(answer, RetryableApiError):
        return _record_retry(session, claimed, redact(answer.message, settings), answer.retry_after)
    if isinstance(answer, FatalApiError):
        return _record_fatal(session, claimed, redact(answer.message, settings))
    if isinstance(answer, ApiFailure):
        recorded = with_db_retries(session, record_failure, session, claimed.task_id,
                                   redact(answer.message, settings), None, 0.0, claimed.reserved)
        return Outcome("failed", send_ids=recorded.send_ids, detail=answer.message)
    cost = cost_usd(claimed.model, answer.usage)
    if claimed.fast is not None:
        recorded = with_db_retries(session, record_answer_fast, session, claimed.fast, answer.text,
                                   answer.stop_reason, answer.usage, cost, labels)
    else:
        recorded = with_db_retries(session, record_answer, session, claimed.ref, answer.text, answer.stop_reason,
                                   answer.usage, cost, claimed.reserved)
    return Outcome("done" if recorded.status != FAILED else "failed", send_ids=recorded.send_ids)


def _unclaim(session: Session, claim: "Claim", status: str) -> None:
    """Hand the task back without a call: QUEUED when no slot came free in time (the attempt does
    not count), CANCELLED when the batch was stopped meanwhile."""
    session.execute(
        update(AutoEditTask).where(AutoEditTask.id == claim.task_id, AutoEditTask.status == RUNNING)
        .values(status=status, attempts=AutoEditTask.attempts - 1, updated_at=utcnow(),
                error="batch stopped before this item was sent" if status == CANCELLED else None)
        .execution_options(synchronize_session=False)
    )
    if claim.reserved:
        _drop_reservation(session, claim)
    session.commit()


def with_db_retries(session: Session, write: Callable[..., T], *args: Any, attempts: int = 4) -> T:
    """Run a write again after a deadlock, a serialization failure or a dropped connection: the
    answer it stores was paid for, and lost here it would only come back as a second call."""
    for attempt in range(1, attempts + 1):
        try:
            return write(*args)
        except OperationalError:
            session.rollback()
            if attempt == attempts:
                raise
            log.warning("autoedit: database write failed (attempt %d); trying again", attempt, exc_info=True)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")


def _call(settings: Settings, claim: "Claim") -> ModelReply | ApiFailure:
    try:
        return call_model(build_client(settings, claim.timing.request_timeout_s), claim.request)
    except ApiFailure as exc:
        return exc


def _release(limiter: RedisLimiter | None, batch_id: int, token: str | None) -> None:
    if limiter is not None and token is not None:
        limiter.release(batch_id, token)


def claim_task(session: Session, task_id: int, db_limit: bool) -> Claim | Outcome:
    """Move the task to running under its row lock, checking the batch, the attempts, the concurrency
    limit (when the database enforces it) and the cost ceiling; commits. An Outcome says why it did
    not start. (With Redis, fastpath.claim serves the common case first.)"""
    task = lock_task(session, task_id)
    if task is None or task.status not in TASK_CLAIMABLE:
        session.commit()
        return Outcome("skip", detail="already taken or finished")
    batch = session.get(AutoEditBatch, task.batch_id, populate_existing=True)
    item = session.get(Item, task.item_id)
    assert batch is not None and item is not None
    timing = BatchTiming.from_options(batch.options)
    if batch.status != B_RUNNING:
        return _cancel_task(session, task, f"batch {batch.status}")
    if task.attempts >= timing.max_attempts:
        recorded = record_failure(session, task.id, f"gave up after {task.attempts} attempts: {task.error or 'no answer'}")
        return Outcome("failed", send_ids=recorded.send_ids)
    now = utcnow()
    if db_limit and _running_count(session, batch.id, now - timedelta(seconds=timing.stale_after_s)) >= batch.concurrency:
        session.rollback()
        return Outcome("wait", delay_s=random.uniform(0.2, 1.0), detail="no free slot")
    request = _request_for(batch, item)
    reserved = 0.0
    if batch.max_cost_usd is not None:
        prompt_text = request["system"] + request["messages"][0]["content"]
        worst = worst_case_cost_usd(batch.model, prompt_text, request["max_tokens"])
        locked = lock_batch(session, batch.id)
        assert locked is not None
        if locked.status != B_RUNNING:
            return _cancel_task(session, task, f"batch {locked.status}")
        held = ledger.reserved_usd(locked)
        if locked.cost_usd + held + worst > locked.max_cost_usd:  # type: ignore[operator]
            if held > ledger.EPSILON_USD:  # calls in flight may settle for less than reserved: wait for them
                session.rollback()
                return Outcome("wait", delay_s=random.uniform(1.0, 3.0), detail="waiting for the cost ceiling")
            message = (f"cost ceiling of ${locked.max_cost_usd:.4f} reached: ${locked.cost_usd:.4f} spent, "
                       f"and the next item could cost up to ${worst:.4f}")
            ledger.stop_batch(session, locked, B_STOPPED, message)
            task.status, task.error = CANCELLED, message
            session.commit()
            return Outcome("stopped", detail=message, batch_id=locked.id)
        ledger.set_reserved(locked, held + worst)
        reserved = worst
    task.status, task.attempts, task.updated_at = RUNNING, task.attempts + 1, now
    claim = Claim(TaskRef(task.id, batch.id, item.id), batch.model, request, reserved, timing, task.attempts,
                  batch.concurrency)
    session.commit()
    return claim


def _request_for(batch: AutoEditBatch, item: Item) -> dict[str, Any]:
    prompt = render_prompt(batch.prompt_version, item.prompt, item.chosen, item.rejected)
    return prompt.as_request(batch.model, max_tokens_for(item.rejected))


def _running_count(session: Session, batch_id: int, fresh_after: Any) -> int:
    return session.scalar(
        select(func.count()).select_from(AutoEditTask).where(
            AutoEditTask.batch_id == batch_id, AutoEditTask.status == RUNNING, AutoEditTask.updated_at > fresh_after
        )
    ) or 0


def _cancel_task(session: Session, task: AutoEditTask, reason: str) -> Outcome:
    task.status, task.error = CANCELLED, reason
    session.commit()
    return Outcome("skip", detail=reason)


def _drop_reservation(session: Session, claim: Claim) -> None:
    if claim.reserved:
        batch = lock_batch(session, claim.batch_id)
        assert batch is not None
        ledger.set_reserved(batch, ledger.reserved_usd(batch) - claim.reserved)


def _record_retry(session: Session, claim: Claim, message: str, retry_after: float | None) -> Outcome:
    """Schedule another attempt (or give up after max_attempts); the reservation is dropped meanwhile."""
    if claim.attempts >= claim.timing.max_attempts:
        recorded = record_failure(session, claim.task_id, f"gave up after {claim.attempts} attempts: {message}",
                                  reserved=claim.reserved)
        return Outcome("failed", send_ids=recorded.send_ids, detail=message)
    task = lock_task(session, claim.task_id)
    if task is None or task.status != RUNNING:  # the watcher took it back meanwhile and sent it again
        session.commit()
        return Outcome("skip", detail="taken back by the watcher")
    task.status, task.error = RETRYING, f"attempt {claim.attempts}: {message}"
    _drop_reservation(session, claim)
    session.commit()
    delay = retry_delay(claim.attempts, retry_after, claim.timing)
    log.info("autoedit task %s: %s; retrying in %.1f s", claim.task_id, message, delay)
    return Outcome("retry", delay_s=delay, detail=message)


def _record_fatal(session: Session, claim: Claim, message: str) -> Outcome:
    """A refusal every item would get (bad key, bad model): fail the task and stop the batch at once."""
    task = lock_task(session, claim.task_id)
    assert task is not None
    if task.status == RUNNING:
        task.status, task.error = FAILED, message
    batch = lock_batch(session, claim.batch_id)
    assert batch is not None
    if claim.reserved:
        ledger.set_reserved(batch, ledger.reserved_usd(batch) - claim.reserved)
    if batch.status == B_RUNNING:
        ledger.stop_batch(session, batch, B_FAILED, f"stopped: {message}")
    session.commit()
    log.error("autoedit batch %s stopped: %s", claim.batch_id, message)
    return Outcome("stopped", detail=message)
