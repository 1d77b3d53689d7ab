"""Progress figures for datasets and annotators, computed in the database (never row by row in Python)."""

import statistics
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item, User

DONE = (EditStatus.submitted, EditStatus.accepted)
REVIEWED = (EditStatus.accepted, EditStatus.rejected, EditStatus.superseded)


@dataclass(frozen=True)
class DatasetProgress:
    """Counts of one dataset's items."""

    items: int
    """Items imported."""
    edited: int
    """Items with at least one submitted or accepted edit (a "no edit needed" outcome counts)."""
    reviewed: int
    """Items with at least one reviewed edit (accepted, rejected or modified)."""
    accepted: int
    """Items with at least one accepted edit."""
    flagged: int
    """Items flagged by an annotator and waiting for an admin."""
    no_edit_needed: int
    """Items whose finished edit says the response needed no change."""

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _items_with(session: Session, dataset_id: int, *conditions: Any) -> int:
    query = (
        select(func.count(func.distinct(Edit.item_id))).join(Item, Item.id == Edit.item_id)
        .where(Item.dataset_id == dataset_id, *conditions)
    )
    return session.scalar(query) or 0


def dataset_progress(session: Session, dataset_id: int) -> DatasetProgress:
    items = session.scalar(select(func.count()).select_from(Item).where(Item.dataset_id == dataset_id)) or 0
    flagged = session.scalar(
        select(func.count()).select_from(Item).where(Item.dataset_id == dataset_id, Item.flag.is_not(None))
    ) or 0
    return DatasetProgress(
        items=items,
        edited=_items_with(session, dataset_id, Edit.status.in_(DONE)),
        reviewed=_items_with(session, dataset_id, Edit.status.in_(REVIEWED)),
        accepted=_items_with(session, dataset_id, Edit.status == EditStatus.accepted),
        flagged=flagged,
        no_edit_needed=_items_with(session, dataset_id, Edit.status.in_(DONE), Edit.outcome == "no_edit_needed"),
    )


@dataclass(frozen=True)
class AnnotatorProgress:
    """One annotator's finished work."""

    user_id: int
    email: str
    items_done: int
    """Edits submitted (whatever their review outcome since)."""
    median_time_s: float | None
    """Median time spent per finished edit."""
    over_soft_share: float | None
    """Share of finished edits above the dataset's soft minimality threshold."""


def annotator_progress(session: Session, dataset_id: int | None = None) -> list[AnnotatorProgress]:
    query = (
        select(User.id, User.email, Edit.time_spent_s, Edit.stats)
        .join(Edit, Edit.author_id == User.id)
        .where(Edit.submitted_at.is_not(None), Edit.model_name.is_(None), Edit.parent_id.is_(None))
    )
    if dataset_id is not None:
        query = query.join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    per_user: dict[int, tuple[str, list[float], list[bool]]] = {}
    for user_id, email, spent, stats in session.execute(query.execution_options(yield_per=2000)):
        _, times, over = per_user.setdefault(user_id, (email, [], []))
        times.append(float(spent or 0.0))
        level = ((stats or {}).get("minimality") or {}).get("level", "ok")
        over.append(level in ("soft", "hard"))
    return [
        AnnotatorProgress(
            user_id=uid, email=email, items_done=len(times),
            median_time_s=statistics.median(times) if times else None,
            over_soft_share=sum(over) / len(over) if over else None,
        )
        for uid, (email, times, over) in sorted(per_user.items(), key=lambda kv: kv[1][0])
    ]


def edits_per_day(session: Session, dataset_id: int | None = None, days: int = 30) -> list[tuple[date, int]]:
    """(day, finished edits submitted that day) for the last `days` days that had any, oldest first."""
    day = func.date(Edit.submitted_at)
    query = select(day, func.count()).where(Edit.submitted_at.is_not(None)).group_by(day).order_by(day.desc())
    if dataset_id is not None:
        query = query.join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    rows = session.execute(query.limit(days)).all()
    out: list[tuple[date, int]] = []
    for value, count in reversed(rows):
        out.append((value if isinstance(value, date) else date.fromisoformat(str(value)), int(count)))
    return out
