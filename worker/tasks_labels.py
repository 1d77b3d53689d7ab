"""Token-labels task: after an edit is submitted, store its labels for the dataset's tokenizer."""

from app.db import session_scope
from app.services import labels
from worker.celery_app import celery_app

LABELS_TASK = "redline.labels.compute"


@celery_app.task(name=LABELS_TASK, acks_late=True)
def compute_edit_labels(edit_id: int, tokenizer: str | None = None) -> int | None:
    """Store the labels of edit `edit_id` (default tokenizer: its dataset's). Idempotent: a redelivered
    task finds the stored row and returns its id; returns None for a deleted edit or a draft."""
    with session_scope() as session:
        row = labels.compute_labels(session, edit_id, tokenizer)
        return row.id if row is not None else None
