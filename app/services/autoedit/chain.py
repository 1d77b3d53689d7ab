"""Items back to back in one worker thread: the thread that stores an item runs the item handed out
in its place itself, instead of sending it through the broker for another thread to pick up.

Each message costs a worker more CPU than the item's own database writes (the publish, the delivery,
the ack, the task bookkeeping), and that CPU is what caps a busy worker's throughput. A chain stops
after CHAIN_SECONDS and sends its next item as a message, so other batches' messages get threads
and a worker shutting down waits for one chain at most. A chained item that must wait (a retry, no
free slot, a database error) goes to the broker with its countdown, as its own task's retry would.
A worker killed mid-chain leaves the item queued or running, and the watcher sends it again once it
is stale, as it does for a lost message.

For the same reason the new edits' token labels go LABELS_PER_MESSAGE to a message. Labels lost with
a killed worker are sent again by the beat's resend sweep, as after a broker restart.
"""

import logging
import random
import time

from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.services.autoedit.enqueue import send_item_later, send_items, send_labels_many
from app.services.autoedit.runner import run_item

log = logging.getLogger(__name__)
CHAIN_SECONDS = 30.0
LABELS_PER_MESSAGE = 16


def send_labels_of(labels: list[int], at_least: int = 1) -> None:
    """Send the labels of the edits in `labels` once there are `at_least`, and empty it. Best effort:
    the edits are stored, and the resend sweep sends what is lost here."""
    if len(labels) < at_least:
        return
    try:
        send_labels_many(labels)
    except Exception:
        log.exception("could not queue token labels for edits %s", labels)
    labels.clear()


def run_chain(
    task_ids: list[int], settings: Settings, labels: list[int] | None = None, budget_s: float | None = None
) -> int:
    """Run the first of `task_ids` here (the others go as messages), then the item handed out in its
    place, and so on until none is handed out or the budget is spent; returns the items run. The new
    edits' ids join `labels` (sent from there LABELS_PER_MESSAGE at a time; the caller sends the rest)."""
    deadline = time.monotonic() + (CHAIN_SECONDS if budget_s is None else budget_s)
    labels = [] if labels is None else labels
    ran = 0
    while task_ids:
        send_labels_of(labels, at_least=LABELS_PER_MESSAGE)
        if time.monotonic() >= deadline:
            send_items(task_ids)
            break
        task_id, rest = task_ids[0], task_ids[1:]
        send_items(rest)
        try:
            outcome = run_item(task_id, settings, labels)
        except OperationalError:  # as the task's own autoretry would: later, through the broker
            log.warning("autoedit task %s: database error in a chain; sending it again", task_id, exc_info=True)
            send_item_later(task_id, random.uniform(0.5, 2.0))
            break
        ran += 1
        if outcome.action in ("retry", "wait"):
            send_items(outcome.send_ids)
            send_item_later(task_id, outcome.delay_s)
            break
        task_ids = outcome.send_ids
    return ran
