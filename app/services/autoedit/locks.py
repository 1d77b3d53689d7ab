"""Row locks on a batch's rows that work the same on PostgreSQL and SQLite.

PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks: a no-op UPDATE takes the database write
lock before anything is read, so the rest of the transaction runs alone (as item_state.lock_item does).
Lock order everywhere: task, then item, then batch; pending tasks are taken with SKIP LOCKED only.
The locks are FOR NO KEY UPDATE: inserting an edit takes a key-share lock on its batch row (the
foreign key), and a FOR UPDATE there would deadlock two workers storing edits of the same batch.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def lock_task(session: Session, task_id: int) -> AutoEditTask | None:
    if is_sqlite(session):
        session.execute(text("UPDATE autoedit_tasks SET id = id WHERE id = :id"), {"id": task_id})
        return session.get(AutoEditTask, task_id, populate_existing=True)
    return session.get(AutoEditTask, task_id, with_for_update={"key_share": True}, populate_existing=True)


def lock_batch(session: Session, batch_id: int) -> AutoEditBatch | None:
    if is_sqlite(session):
        session.execute(text("UPDATE autoedit_batches SET id = id WHERE id = :id"), {"id": batch_id})
        return session.get(AutoEditBatch, batch_id, populate_existing=True)
    return session.get(AutoEditBatch, batch_id, with_for_update={"key_share": True}, populate_existing=True)
