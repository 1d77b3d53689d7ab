"""The audit trail: one row per action that changes who can do what, or what an item holds."""

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from app.models import AuditEvent, User

# A plain INSERT sent at once: nothing reads an event back in the transaction that writes it, and the unit
# of work's flush of one new object costs more server CPU than the statement (submits write one each).
_INSERT_EVENT = insert(cast(Table, AuditEvent.__table__))


def _target(target: Any) -> tuple[str, str]:
    """(type, id) of a model instance (its table name and id) or of an explicit (type, id) pair."""
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), str(ident)
    return str(getattr(target, "__tablename__", type(target).__name__.lower())), str(getattr(target, "id", ""))


def record(
    session: Session, user: User | int | None, action: str, target: Any, detail: dict[str, Any] | None = None
) -> None:
    """Write an audit event in the caller's transaction (it commits, or rolls back, with the change it
    describes).

    `user` is the actor (None for the system), `target` a model instance or a (type, id) pair,
    `detail` a small JSON-able dict; never put secrets in it."""
    kind, ident = _target(target)
    user_id = user if isinstance(user, int) or user is None else user.id
    session.execute(_INSERT_EVENT, {"user_id": user_id, "action": action, "target_type": kind[:32],
                                     "target_id": ident[:64], "detail": detail or {}})
