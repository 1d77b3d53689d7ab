"""The annotation queue: hand each annotator an item of their own under a time-limited lease.

An item is offered to a user when it is open, the user has not skipped it, has no finished edit on it,
and its live leases held by others plus its finished edits are fewer than the dataset's
`annotations_per_item`. Concurrency: on PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED
and re-checked in a fresh statement after locking (a lease committed meanwhile is seen); on SQLite
the whole lease transaction holds the database write lock, so leases are handed out one at a time.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.config import get_settings
from app.models import Dataset, Edit, EditStatus, Item, Lease, Role, Skip, User
from app.models.base import utcnow
from app.services import audit
from app.services.errors import InvalidInput, LeaseLost, NotFound, PermissionDenied
from app.services.item_state import (
    DONE_STATUSES,
    FLAGGED,
    OPEN,
    lock_item,
    refresh_item_state,
    take_write_lock,
)

FLAG_KINDS = ("unsafe", "unclear", "broken")
MAX_REASON_CHARS = 2000


def _ttl(ttl_s: float | None) -> timedelta:
    return timedelta(seconds=ttl_s if ttl_s is not None else get_settings().lease_ttl_seconds)


def _available_items(user: User, now: datetime, dataset_id: int | None) -> Select:
    """Ids of the items this user may lease now (see the module docstring)."""
    # Live leases of others per item, counted once for the whole query: as a subquery per candidate row it
    # re-read the leases table for each of the items other people hold, which every lease scans past.
    others_leases = (
        select(Lease.item_id, func.count().label("held"))
        .where(Lease.expires_at > now, Lease.user_id != user.id)
        .group_by(Lease.item_id)
        .subquery()
    )
    done_edits = (
        select(func.count()).select_from(Edit)
        .where(Edit.item_id == Item.id, Edit.status.in_(DONE_STATUSES))
        .scalar_subquery()
    )
    query = (
        select(Item.id)
        .join(Dataset, Dataset.id == Item.dataset_id)
        .outerjoin(others_leases, others_leases.c.item_id == Item.id)
        .where(
            Item.state == OPEN,
            ~exists().where(Skip.item_id == Item.id, Skip.user_id == user.id),
            ~exists().where(Edit.item_id == Item.id, Edit.author_id == user.id,
                            Edit.status.in_((*DONE_STATUSES, EditStatus.superseded))),
            func.coalesce(others_leases.c.held, 0) + done_edits < Dataset.annotations_per_item,
        )
    )
    if dataset_id is not None:
        query = query.where(Item.dataset_id == dataset_id)
    return query


def _grant(session: Session, item_id: int, user: User, now: datetime, ttl: timedelta) -> Lease:
    """Write the user's lease on an item, clearing expired leases of others on it."""
    session.execute(delete(Lease).where(Lease.item_id == item_id, Lease.expires_at <= now, Lease.user_id != user.id))
    lease = session.scalars(select(Lease).where(Lease.item_id == item_id, Lease.user_id == user.id)).first()
    if lease is None:
        lease = Lease(item_id=item_id, user_id=user.id, expires_at=now + ttl, created_at=now)
        session.add(lease)
    else:
        lease.expires_at = now + ttl
    session.flush()
    return lease


def _held_lease(session: Session, user: User, now: datetime, dataset_id: int | None) -> tuple[Item, Lease] | None:
    query = (
        select(Item, Lease).join(Lease, Lease.item_id == Item.id)
        .where(Lease.user_id == user.id, Lease.expires_at > now, Item.state == OPEN)
        .order_by(Lease.created_at, Lease.id)
    )
    if dataset_id is not None:
        query = query.where(Item.dataset_id == dataset_id)
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def lease_next(
    session: Session, user: User, dataset_id: int | None = None, ttl_s: float | None = None
) -> tuple[Item, Lease] | None:
    """Lease the caller's next item and commit; None when there is nothing left for them.

    A user who still holds a live lease gets that item again (renewed), so reloading never hoards items.
    Items where the user has a draft come first, then the oldest items."""
    now, ttl = utcnow(), _ttl(ttl_s)
    take_write_lock(session)
    held = _held_lease(session, user, now, dataset_id)
    if held is not None:
        item, lease = held
        lease.expires_at = now + ttl
        session.commit()
        return item, lease
    available = _available_items(user, now, dataset_id)
    has_my_draft = exists().where(Edit.item_id == Item.id, Edit.author_id == user.id,
                                  Edit.status == EditStatus.draft)
    for query in (available.where(has_my_draft), available):
        for _attempt in range(20):
            item_id = session.scalar(
                query.order_by(Item.id).limit(1).with_for_update(of=Item, skip_locked=True)
            )
            if item_id is None:
                break
            # Locked; re-check in a new statement, which sees any lease committed since the first one began.
            if session.scalar(available.where(Item.id == item_id)) is None:
                session.rollback()  # drop the lock; the next query no longer returns this item
                take_write_lock(session)
                continue
            lease = _grant(session, item_id, user, now, ttl)
            leased_item = session.get(Item, item_id)
            assert leased_item is not None
            session.commit()
            return leased_item, lease
    session.commit()
    return None


# Built once: every save runs it, and building a statement costs more CPU than running it.
_OWN_LEASE = (
    select(Lease).where(Lease.item_id == bindparam("b_item_id"), Lease.user_id == bindparam("b_user_id"))
    .execution_options(populate_existing=True)
)


def hold_lease(session: Session, item: Item, user: User, ttl_s: float | None = None, lazy: bool = False) -> Lease:
    """Renew the caller's lease on `item` (within the caller's transaction; no commit).

    A lease that expired while nobody else took the item is renewed as well; LeaseLost when the caller
    has no lease row (released, skipped, or taken over after expiry) or the item is no longer available.
    `lazy`: leave a lease with more than half its time to live as it is (saves a write per draft save)."""
    lease = session.scalars(_OWN_LEASE, {"b_item_id": item.id, "b_user_id": user.id}).first()
    return keep_lease(session, item, user, lease, ttl_s, lazy)


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)  # SQLite hands back naive UTC


def renewal_due(expires_at: datetime, now: datetime, ttl_s: float | None = None) -> bool:
    """Whether a save should renew a lease: only once half its time is gone, which keeps a write off most
    saves (the quick autosave in draft_save.py leaves those to the locked path)."""
    return _aware(expires_at, now) - now <= _ttl(ttl_s) / 2


def keep_lease(session: Session, item: Item, user: User, lease: Lease | None, ttl_s: float | None = None,
               lazy: bool = False) -> Lease:
    """hold_lease with the caller's lease row already read (None: there is none), under the item lock."""
    now, ttl = utcnow(), _ttl(ttl_s)
    if lease is None:
        raise LeaseLost(f"you hold no lease on item {item.id}: lease it again from the queue (GET /api/v1/queue/next)")
    expires = _aware(lease.expires_at, now)
    if expires <= now and session.scalar(_available_items(user, now, None).where(Item.id == item.id)) is None:
        raise LeaseLost(f"your lease on item {item.id} expired and the item is no longer available")
    if item.state != OPEN:
        raise LeaseLost(f"item {item.id} is {item.state} and no longer takes edits")
    if lazy and not renewal_due(expires, now, ttl_s):
        return lease
    lease.expires_at = now + ttl
    session.flush()
    return lease


def renew_lease(session: Session, item_id: int, user: User, ttl_s: float | None = None) -> Lease:
    """Keep an item leased while its page is open; commits. LeaseLost (409) when it is gone."""
    item = lock_item(session, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    lease = hold_lease(session, item, user, ttl_s)
    session.commit()
    return lease


def release_lease_in_tx(session: Session, item_id: int, user: User) -> bool:
    """Delete the caller's lease on an item inside the caller's transaction; False when there was none."""
    deleted = session.execute(delete(Lease).where(Lease.item_id == item_id, Lease.user_id == user.id))
    return bool(getattr(deleted, "rowcount", 0))


def release_lease(session: Session, item_id: int, user: User) -> bool:
    """Give an item back to the queue; commits. False when the caller held no lease on it."""
    released = release_lease_in_tx(session, item_id, user)
    session.commit()
    return released


def skip_item(session: Session, item_id: int, user: User, reason: str) -> Skip:
    """Skip an item with a reason: its lease is released and it is never offered to this user again."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"reason longer than {MAX_REASON_CHARS} characters", field="reason")
    session.execute(delete(Lease).where(Lease.item_id == item_id, Lease.user_id == user.id))
    skip = Skip(item_id=item_id, user_id=user.id, reason=reason)
    session.add(skip)
    audit.record(session, user, "item.skip", item, {"reason": reason[:200]})
    session.commit()
    return skip


def flag_item(session: Session, item_id: int, user: User, kind: str, note: str = "") -> Item:
    """Flag an item (unsafe, unclear, broken): it leaves the queue until an admin clears the flag."""
    if kind not in FLAG_KINDS:
        raise InvalidInput(f"unknown flag {kind!r}; choose one of {', '.join(FLAG_KINDS)}", field="kind")
    if len(note) > MAX_REASON_CHARS:
        raise InvalidInput(f"note longer than {MAX_REASON_CHARS} characters", field="note")
    item = lock_item(session, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    item.flag = kind
    item.state = FLAGGED
    session.execute(delete(Lease).where(Lease.item_id == item_id, Lease.user_id == user.id))
    audit.record(session, user, "item.flag", item, {"kind": kind, "note": note[:500]})
    session.commit()
    return item


def clear_flag(session: Session, item_id: int, admin: User) -> Item:
    """An admin clears an item's flag; the item's state is recomputed from its edits."""
    item = lock_item(session, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    old = item.flag
    item.flag = None
    refresh_item_state(session, item)
    audit.record(session, admin, "item.unflag", item, {"was": old})
    session.commit()
    return item


def live_lease(session: Session, item_id: int, user: User) -> Lease | None:
    now = utcnow()
    return session.scalars(
        select(Lease).where(Lease.item_id == item_id, Lease.user_id == user.id, Lease.expires_at > now)
    ).first()


def get_item_for(session: Session, item_id: int, user: User) -> Item:
    """An item as `user` may see it: annotators only items leased to them or that they edited."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    if user.role != Role.annotator:
        return item
    leased = session.scalar(select(Lease.id).where(Lease.item_id == item_id, Lease.user_id == user.id))
    if leased is not None:  # the common case (the editor's preview, every pause): one query fewer
        return item
    edited = session.scalar(select(Edit.id).where(and_(Edit.item_id == item_id, Edit.author_id == user.id)))
    if edited is None:
        raise PermissionDenied(f"item {item_id} is not leased to you; get one from GET /api/v1/queue/next")
    return item
