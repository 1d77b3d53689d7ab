"""A short-lived in-process cache of API token owners, so most authenticated requests skip a query.

Keyed by the token's SHA-256 (never the token itself); holds a detached copy of the owner's row, which
each request merges into its own session without SQL. Anything that changes who a token lets in
(revoking a token, deactivating a user, changing a role or a password) clears the whole cache in this
process, now and again when its transaction commits. Other processes notice within
`settings.token_cache_seconds` (0 turns the cache off).
"""

import threading
import time

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from app.config import get_settings
from app.models import User

MAX_ENTRIES = 10_000  # one per live token in use; cleared whole past this (a miss only costs a query)

_lock = threading.Lock()
_entries: dict[str, tuple[User, float]] = {}
_generation = 0


def generation() -> int:
    """Take before looking an owner up; `remember` refuses the result if the cache was cleared since."""
    return _generation


def cached_owner(session: Session, token_hash: str) -> User | None:
    """The token's owner as a row of `session` (no SQL), or None when not cached or expired."""
    entry = _entries.get(token_hash)
    if entry is None:
        return None
    snapshot, expires = entry
    if time.monotonic() >= expires:
        return None
    return session.merge(snapshot, load=False)


def remember(token_hash: str, owner: User, since_generation: int) -> None:
    """Cache a copy of `owner`, found after `generation()` returned `since_generation`."""
    ttl = get_settings().token_cache_seconds
    if ttl <= 0:
        return
    columns = {attr.key: getattr(owner, attr.key) for attr in inspect(User).column_attrs}
    snapshot = User(**columns)
    make_transient_to_detached(snapshot)  # as if loaded by a session that has since closed
    with _lock:
        if since_generation != _generation:  # cleared meanwhile: the row read may predate the change
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[token_hash] = (snapshot, time.monotonic() + ttl)


def clear() -> None:
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def clear_on_commit(session: Session) -> None:
    """Clear now and when `session` next commits: a lookup racing the change cannot outlive it."""
    clear()
    event.listen(session, "after_commit", lambda _session: clear(), once=True)
