"""The annotation queue: hand each annotator an item of their own under a time-limited lease.

An item is offered to a user when it is open, the user has not skipped it, has no finished edit on it,
and its live leases held by others plus its finished edits are fewer than the dataset's
`annotations_per_item`. Concurrency: on PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED
and re-checked in a fresh statement after locking (a lease committed meanwhile is seen); on SQLite
the whole lease transaction holds the database write lock, so leases are handed out one at a time.
"""

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

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


def _available_items(by_dataset: bool) -> Select:
    """Ids of the items user b_user_id may lease at b_now (see the module docstring), of dataset
    b_dataset_id when `by_dataset`. Built once per shape: building and keying a statement this size costs
    more server CPU than PostgreSQL takes to run it."""
    user_id: BindParameter[int] = bindparam("b_user_id")
    now: BindParameter[datetime] = bindparam("b_now", type_=Lease.expires_at.type)
    # Live leases of others per item, counted once for the whole query: as a count per candidate row it
    # probes the leases of each of the items other people hold, which every lease scans past.
    others_leases = (
        select(Lease.item_id, func.count().label("held"))
        .where(Lease.expires_at > now, Lease.user_id != user_id)
        .group_by(Lease.item_id)
        .subquery()
    )
    done_edits = (
        select(func.count()).select_from(Edit)
        .where(Edit.item_id == Item.id, Edit.status.in_(DONE_STATUSES))
        .scalar_subquery()
    )
    # The items of the annotator's own finished edits, read once through the index of edits by author and
    # item and looked up in a hash per candidate (NOT IN over a non-null column). Written as NOT EXISTS,
    # PostgreSQL plans an anti join that reads every edit of the dataset; as a count per candidate row, it
    # probes the index for each of the items other people hold.
    own_finished = (
        select(Edit.item_id)
        .where(Edit.author_id == user_id, Edit.status.in_((*DONE_STATUSES, EditStatus.superseded)))
    )
    query = (
        select(Item.id)
        .join(Dataset, Dataset.id == Item.dataset_id)
        .outerjoin(others_leases, others_leases.c.item_id == Item.id)
        .where(
            Item.state == OPEN,
            ~exists().where(Skip.item_id == Item.id, Skip.user_id == user_id),
            Item.id.not_in(own_finished),
            func.coalesce(others_leases.c.held, 0) + done_edits < Dataset.annotations_per_item,
        )
    )
    return query.where(Item.dataset_id == bindparam("b_dataset_id")) if by_dataset else query


def _held_lease_query(by_dataset: bool) -> Select:
    query = (
        select(Item, Lease).join(Lease, Lease.item_id == Item.id)
        .where(Lease.user_id == bindparam("b_user_id"), Lease.expires_at > bindparam("b_now"), Item.state == OPEN)
        .order_by(Lease.created_at, Lease.id)
    )
    return query.where(Item.dataset_id == bindparam("b_dataset_id")) if by_dataset else query


def _candidate_queries(available: Select) -> tuple[Select, Select]:
    """The first available item where the user has a draft, then the first available one: each locked,
    skipping rows another lease transaction holds."""
    has_my_draft = exists().where(Edit.item_id == Item.id, Edit.author_id == bindparam("b_user_id"),
                                  Edit.status == EditStatus.draft)
    return tuple(query.order_by(Item.id).limit(1).with_for_update(of=Item, skip_locked=True)  # type: ignore[return-value]
                 for query in (available.where(has_my_draft), available))


_AVAILABLE = {by: _available_items(by) for by in (False, True)}
_HELD = {by: _held_lease_query(by) for by in (False, True)}
_CANDIDATES = {by: _candidate_queries(_AVAILABLE[by]) for by in (False, True)}
# The re-check after locking loads the item itself, so that granting needs no further read of it.
_STILL_AVAILABLE = {by: _AVAILABLE[by].with_only_columns(Item).where(Item.id == bindparam("b_item_id"))
                    for by in (False, True)}
_EXPIRED_OTHERS = delete(Lease).where(Lease.item_id == bindparam("b_item_id"),
                                      Lease.expires_at <= bindparam("b_now"), Lease.user_id != bindparam("b_user_id"))
# Built once: every save runs it, and building a statement costs more CPU than running it.
_OWN_LEASE = (
    select(Lease).where(Lease.item_id == bindparam("b_item_id"), Lease.user_id == bindparam("b_user_id"))
    .execution_options(populate_existing=True)
)
_DELETE_OWN_LEASE = delete(Lease).where(Lease.item_id == bindparam("b_item_id"), Lease.user_id == bindparam("b_user_id"))
# PostgreSQL: clear others' expired leases on the item and write the user's in one statement.
_UPSERT_LEASE = (
    pg_insert(Lease)
    .values(item_id=bindparam("b_item_id"), user_id=bindparam("b_user_id"), expires_at=bindparam("b_expires"),
            created_at=bindparam("b_now"))
    .on_conflict_do_update(index_elements=["item_id", "user_id"], set_={"expires_at": bindparam("b_expires")})
    .add_cte(_EXPIRED_OTHERS.cte("expired_others"))
    .returning(*cast(Table, Lease.__table__).c)
)
_UPSERTED_LEASE = select(Lease).from_statement(_UPSERT_LEASE).execution_options(populate_existing=True)


def _grant(session: Session, params: dict[str, Any]) -> Lease:
    """Write the user's lease on item b_item_id until b_expires, clearing expired leases of others on it."""
    if session.get_bind().dialect.name == "postgresql":
        lease: Lease = session.scalars(_UPSERTED_LEASE, params).one()
        return lease
    session.execute(_EXPIRED_OTHERS, params)
    found = session.scalars(_OWN_LEASE, params).first()
    if found is None:
        found = Lease(item_id=params["b_item_id"], user_id=params["b_user_id"], expires_at=params["b_expires"],
                      created_at=params["b_now"])
        session.add(found)
    else:
        found.expires_at = params["b_expires"]
    session.flush()
    return found


def lease_next(
    session: Session, user: User, dataset_id: int | None = None, ttl_s: float | None = None
) -> tuple[Item, Lease] | None:
    """Lease the caller's next item and commit; None when there is nothing left for them.

    A user who still holds a live lease gets that item again (renewed), so reloading never hoards items.
    Items where the user has a draft come first, then the oldest items."""
    now, ttl = utcnow(), _ttl(ttl_s)
    by_dataset = dataset_id is not None
    params: dict[str, Any] = {"b_user_id": user.id, "b_now": now, "b_dataset_id": dataset_id,
                              "b_expires": now + ttl}
    take_write_lock(session)
    held = session.execute(_HELD[by_dataset], params).first()
    if held is not None:
        item, lease = held[0], held[1]
        lease.expires_at = now + ttl
        session.commit()
        return item, lease
    for query in _CANDIDATES[by_dataset]:
        for _attempt in range(20):
            item_id = session.scalar(query, params)
            if item_id is None:
                break
            # Locked; re-check in a new statement, which sees any lease committed since the first one began.
            item = session.scalars(_STILL_AVAILABLE[by_dataset], {**params, "b_item_id": item_id}).first()
            if item is None:
                session.rollback()  # drop the lock; the next query no longer returns this item
                take_write_lock(session)
                continue
            lease = _grant(session, {**params, "b_item_id": item_id})
            session.commit()
            return item, lease
    session.commit()
    return None


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
    if expires <= now and session.scalars(_STILL_AVAILABLE[False], {"b_user_id": user.id, "b_now": now,
                                                                    "b_item_id": item.id}).first() is None:
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
    deleted = session.execute(_DELETE_OWN_LEASE, {"b_item_id": item_id, "b_user_id": user.id})
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
