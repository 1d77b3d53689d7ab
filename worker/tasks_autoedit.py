"""Claude auto-edit tasks: thin wrappers that take ids; the work lives in app/services/autoedit.

edit_item is idempotent (a conditional UPDATE claims the task row, and its edit is stored only while
the row has none, so a redelivered message never adds a second edit), acks late, and retries
through the broker with a countdown so that a waiting retry holds no thread. The items handed out
in place of a finished one run in the same thread for a while (chain.py): a message per item cost
the worker more CPU than the item itself.
"""

import logging
import threading

from celery.signals import worker_init, worker_ready
from sqlalchemy.exc import OperationalError

from app.config import get_settings
from app.db import session_scope
from app.services.autoedit.chain import run_chain, send_labels_of
from app.services.autoedit.enqueue import EDIT_ITEM, SUBMIT_REMOTE, SWEEP, WATCH_BATCH, send_items, send_watch
from app.services.autoedit.remote import poll_remote, submit_remote
from app.services.autoedit.runner import run_item
from app.services.autoedit.watcher import batches_to_rewatch, watch_pass
from worker.celery_app import celery_app

log = logging.getLogger(__name__)


# A database error before the claim commits is retried through the broker; one after it leaves the
# task `running`, and the watcher sends it again once it is stale.
@celery_app.task(name=EDIT_ITEM, bind=True, acks_late=True, max_retries=None,
                 autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True)
def edit_item(self, task_id: int) -> str:
    settings = get_settings()
    labels: list[int] = []  # new edits whose token labels are sent together
    try:
        outcome = run_item(task_id, settings, labels)
        if outcome.action in ("retry", "wait"):
            send_items(outcome.send_ids)
            raise self.retry(countdown=outcome.delay_s, max_retries=None)
        run_chain(outcome.send_ids, settings, labels)  # the next items in this thread, without a message each
    finally:
        send_labels_of(labels)
    return outcome.action


@celery_app.task(name=SUBMIT_REMOTE, bind=True, acks_late=True, max_retries=None)
def submit_remote_batch(self, batch_id: int) -> str:
    step = submit_remote(batch_id, get_settings())
    if step.action == "retry":
        raise self.retry(countdown=step.delay_s, max_retries=None)
    return step.action


@celery_app.task(name=WATCH_BATCH, acks_late=True)
def watch_batch(batch_id: int, token: str | None = None) -> str:
    """One pass; with a token, the next pass is sent with a countdown while the batch is active."""
    settings = get_settings()
    try:
        result = watch_pass(batch_id, token)
        send_items(result.send_ids)
        countdown = result.countdown
        if result.submit_due:
            submit_remote(batch_id, settings)
            countdown = 1.0
        if result.poll_due:
            step = poll_remote(batch_id, settings)
            countdown = step.delay_s if step.action == "waiting" else 1.0
        keep = result.keep_watching
    except Exception:  # a database or network hiccup must not end the chain: the pass is idempotent
        log.exception("autoedit batch %s: watcher pass failed; trying again", batch_id)
        countdown, keep = 10.0, True
    if token is not None and keep:
        send_watch(batch_id, token, countdown)
    return "watching" if keep else "ended"


@celery_app.task(name=SWEEP, acks_late=True)
def sweep_batches(restart_all: bool = False) -> list[int]:
    """Periodic and at worker start: give a fresh watcher to every batch whose watcher may be gone."""
    with session_scope() as session:
        chosen = batches_to_rewatch(session, restart_all)
    for batch_id, token in chosen:
        send_watch(batch_id, token, 0.0)
    return [batch_id for batch_id, _ in chosen]


@worker_ready.connect
def _rewatch_on_start(sender=None, **_kwargs) -> None:
    """A worker that starts may replace one that was killed: its watcher countdowns are held by the
    broker until the visibility timeout, so every active batch gets a new watcher now."""
    try:
        celery_app.send_task(SWEEP, kwargs={"restart_all": True}, queue=get_settings().autoedit_queue)
    except Exception:
        log.exception("could not send the auto-edit sweep at worker start")


@worker_init.connect
def _warm_up(**_kwargs) -> None:
    """Load the bundled tokenizer that the grading uses, in the background while the worker starts:
    otherwise the first edits of a fresh worker wait for it. It needs neither torch nor transformers;
    importing those here instead cost each fresh worker tens of seconds of CPU that its first items
    competed for (a dataset with another tokenizer loads it at its first grading)."""
    threading.Thread(target=_load_grading_tokenizer, name="autoedit-warm-up", daemon=True).start()


def _load_grading_tokenizer() -> None:
    try:
        from app.services.diffing import align_texts

        align_texts("A warm-up sentence.", "A warm-up sentence, edited.")
    except Exception:  # the first grading loads it again and reports a real problem
        log.warning("could not load the grading tokenizer ahead of time", exc_info=True)
