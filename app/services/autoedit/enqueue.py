"""Sending this area's Celery tasks by name, always after the transaction that wrote their rows commits."""

import logging

log = logging.getLogger(__name__)

EDIT_ITEM = "redline.autoedit.edit_item"
WATCH_BATCH = "redline.autoedit.watch_batch"
SUBMIT_REMOTE = "redline.autoedit.submit_remote"
SWEEP = "redline.autoedit.sweep"
LABELS_MANY = "redline.labels.compute_many"  # worker/tasks_labels.py


Message = tuple[str, list, float | None]  # task name, args, countdown


def _send(messages: list[Message], routed: bool = False) -> None:
    """Through the app's producer pool when the settings name its broker (a worker, a server);
    otherwise (settings changed after import, as in tests) over one connection to the current broker.
    To the auto-edit queue, or where the Celery app routes the task when `routed`."""
    if not messages:
        return
    from app.config import get_settings
    from worker.celery_app import broker_url, celery_app

    settings = get_settings()
    url, queue = broker_url(settings), None if routed else settings.autoedit_queue
    if url == celery_app.conf.broker_url:
        for name, args, countdown in messages:
            celery_app.send_task(name, args=args, countdown=countdown, queue=queue)
        return
    with celery_app.connection_for_write(url) as conn:
        for name, args, countdown in messages:
            celery_app.send_task(name, args=args, countdown=countdown, queue=queue, connection=conn)


def send_items(task_ids: list[int]) -> None:
    _send([(EDIT_ITEM, [task_id], None) for task_id in task_ids])


def send_item_later(task_id: int, countdown: float) -> None:
    """An item to try again after `countdown` seconds (a chained item's retry or wait for a slot)."""
    _send([(EDIT_ITEM, [task_id], countdown or None)])


def send_watch(batch_id: int, token: str | None, countdown: float = 0.0) -> None:
    """A watcher pass; with a token it reschedules itself while the batch is active."""
    _send([(WATCH_BATCH, [batch_id, token], countdown or None)])


def send_submit(batch_id: int) -> None:
    _send([(SUBMIT_REMOTE, [batch_id], None)])


def send_labels(edit_id: int) -> None:
    """The token-labels task of a new edit (edits.LABELS_TASK), routed as the app routes it, through
    the pool: a fresh broker connection per edit costs more CPU than the rest of the item's writes."""
    from app.services.edits import LABELS_TASK

    _send([(LABELS_TASK, [edit_id], None)], routed=True)


def send_labels_many(edit_ids: list[int]) -> None:
    """The token labels of several new edits in one message, routed as the labels task is."""
    if edit_ids:
        _send([(LABELS_MANY, [list(edit_ids)], None)], routed=True)


def send_after_commit(items: list[int], watch: tuple[int, str | None, float] | None = None) -> None:
    """Best effort: a broker that is down loses nothing, since the watcher re-sends lost items
    (on worker start and from the periodic sweep)."""
    batch_id_token_countdown = [] if watch is None else [(WATCH_BATCH, [watch[0], watch[1]], watch[2] or None)]
    try:
        _send([(EDIT_ITEM, [task_id], None) for task_id in items] + batch_id_token_countdown)
    except Exception:
        log.exception("could not send auto-edit tasks; the sweep re-sends them once the broker is back")
