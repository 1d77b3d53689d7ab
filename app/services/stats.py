"""Figures for the dashboard: per-annotator work and review outcomes, and edits per day as a full series."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item
from app.services.progress import annotator_progress, edits_per_day


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator's finished work and what review made of it."""

    user_id: int
    email: str
    items_done: int
    """Edits submitted (a "no edit needed" outcome counts)."""
    median_time_s: float | None
    """Median time spent per finished edit, as measured by the server."""
    over_soft_share: float | None
    """Share of finished edits above the dataset's soft minimality threshold."""
    no_edit_needed: int
    """Finished edits that declared the response needed no change."""
    accepted: int
    rejected: int
    modified: int
    """Edits a reviewer replaced by a version of their own."""

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted among reviewed edits (a modification counts as not accepted as it was)."""
        reviewed = self.accepted + self.rejected + self.modified
        return self.accepted / reviewed if reviewed else None


def _review_counts(session: Session, dataset_id: int | None) -> dict[int, tuple[int, int, int, int]]:
    """author id -> (no edit needed, accepted, rejected, modified) over their own (human) edits."""
    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            Edit.author_id,
            count_if(Edit.outcome == "no_edit_needed"),
            count_if(Edit.status == EditStatus.accepted),
            count_if(Edit.status == EditStatus.rejected),
            count_if(Edit.status == EditStatus.superseded),
        )
        .where(Edit.author_id.is_not(None), Edit.model_name.is_(None), Edit.parent_id.is_(None),
               Edit.submitted_at.is_not(None))
        .group_by(Edit.author_id)
    )
    if dataset_id is not None:
        query = query.join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    return {int(author or 0): (int(a or 0), int(b or 0), int(c or 0), int(d or 0))
            for author, a, b, c, d in session.execute(query)}  # author is never None (filtered above)


def annotator_stats(session: Session, dataset_id: int | None = None) -> list[AnnotatorStats]:
    """Every annotator with finished work (in one dataset, or in all), ordered by e-mail."""
    counts = _review_counts(session, dataset_id)
    rows = []
    for p in annotator_progress(session, dataset_id):
        no_edit, accepted, rejected, modified = counts.get(p.user_id, (0, 0, 0, 0))
        rows.append(AnnotatorStats(p.user_id, p.email, p.items_done, p.median_time_s, p.over_soft_share,
                                   no_edit, accepted, rejected, modified))
    return rows


def daily_edits(session: Session, days: int = 30, dataset_id: int | None = None, today: date | None = None
                ) -> list[tuple[date, int]]:
    """(day, edits submitted that day) for each of the last `days` days up to today (UTC), zeros included."""
    end = today or datetime.now(UTC).date()
    counts = dict(edits_per_day(session, dataset_id, days=days))
    return [(day, counts.get(day, 0)) for day in (end - timedelta(days=n) for n in range(days - 1, -1, -1))]
