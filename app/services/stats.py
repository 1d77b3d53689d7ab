"""Figures for the dashboard: per-annotator work and review outcomes, and edits per day as a full series."""

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, func, null, select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item, User
from app.services.minimality import HARD, SOFT
from app.services.progress import edits_per_day


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


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# Each annotator's first-hand finished edits (not model edits, not a reviewer's modified versions).
_OWN_FINISHED = (Edit.author_id.is_not(None), Edit.model_name.is_(None), Edit.parent_id.is_(None),
                 Edit.submitted_at.is_not(None))
_SPENT = func.coalesce(Edit.time_spent_s, 0.0)


def _per_annotator(dataset_id: int | None, median_in_sql: bool) -> Select:
    """One row per annotator, aggregated by the database: the work grows all day and the dashboard is
    polled, so no edit is read one by one (PostgreSQL computes the median too; SQLite has no percentile)."""
    median = func.percentile_cont(0.5).within_group(_SPENT) if median_in_sql else null()
    query = (
        select(
            User.id, User.email, func.count(), median,
            _count_if(Edit.minimality_level.in_((SOFT, HARD))),
            _count_if(Edit.outcome == "no_edit_needed"),
            _count_if(Edit.status == EditStatus.accepted),
            _count_if(Edit.status == EditStatus.rejected),
            _count_if(Edit.status == EditStatus.superseded),
        )
        .join(Edit, Edit.author_id == User.id)
        .where(*_OWN_FINISHED)
        .group_by(User.id, User.email)
        .order_by(User.email)
    )
    if dataset_id is not None:
        query = query.join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    return query


def _medians_in_python(session: Session, dataset_id: int | None) -> dict[int, float]:
    """author id -> median time spent, for SQLite (the embedded demo database)."""
    query = select(Edit.author_id, _SPENT).where(*_OWN_FINISHED)
    if dataset_id is not None:
        query = query.join(Item, Item.id == Edit.item_id).where(Item.dataset_id == dataset_id)
    times: dict[int, list[float]] = {}
    for author, spent in session.execute(query):
        times.setdefault(author or 0, []).append(float(spent))  # never None (filtered)
    return {author: statistics.median(values) for author, values in times.items()}


def annotator_stats(session: Session, dataset_id: int | None = None) -> list[AnnotatorStats]:
    """Every annotator with finished work (in one dataset, or in all), ordered by e-mail."""
    median_in_sql = session.get_bind().dialect.name == "postgresql"
    rows = session.execute(_per_annotator(dataset_id, median_in_sql)).all()
    medians = {} if median_in_sql or not rows else _medians_in_python(session, dataset_id)
    return [
        AnnotatorStats(user_id, email, done, float(median) if median is not None else medians.get(user_id),
                       over / done, no_edit, accepted, rejected, modified)
        for user_id, email, done, median, over, no_edit, accepted, rejected, modified in rows
    ]


def daily_edits(session: Session, days: int = 30, dataset_id: int | None = None, today: date | None = None
                ) -> list[tuple[date, int]]:
    """(day, edits submitted that day) for each of the last `days` days up to today (UTC), zeros included."""
    end = today or datetime.now(UTC).date()
    counts = dict(edits_per_day(session, dataset_id, days=days))
    return [(day, counts.get(day, 0)) for day in (end - timedelta(days=n) for n in range(days - 1, -1, -1))]
