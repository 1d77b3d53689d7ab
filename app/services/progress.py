"""Progress figures for datasets and edits per day, computed in the database (never row by row in Python)."""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item

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


def dataset_progress(session: Session, dataset_id: int) -> DatasetProgress:
    """Two statements whatever the dataset's size: its items, then its edits, each counted in one pass."""
    items, flagged = session.execute(
        select(func.count(), func.count().filter(Item.flag.is_not(None))).where(Item.dataset_id == dataset_id)
    ).one()
    items_with = func.count(func.distinct(Edit.item_id))
    edited, reviewed, accepted, no_edit_needed = session.execute(
        select(
            items_with.filter(Edit.status.in_(DONE)),
            items_with.filter(Edit.status.in_(REVIEWED)),
            items_with.filter(Edit.status == EditStatus.accepted),
            items_with.filter(Edit.status.in_(DONE), Edit.outcome == "no_edit_needed"),
        ).join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    ).one()
    return DatasetProgress(items=items, edited=edited, reviewed=reviewed, accepted=accepted, flagged=flagged,
                           no_edit_needed=no_edit_needed)


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
