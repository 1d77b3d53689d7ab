"""Dashboard figures: per-annotator stats, the zero-filled daily series, the SVG chart and the page."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app.models import Dataset, Edit
from app.services import edits, queue, review
from app.services.progress import dataset_progress
from app.services.stats import annotator_stats, daily_edits
from app.web.charts import bar_chart, nice_ceiling
from tests.fixtures_app import Account
from tests.web.conftest import PageClient


def _submit(session: Session, account: Account, dataset: Dataset, text_of: Callable[[str], str],
            time_spent_s: float = 30.0, needs_rewrite: bool = False) -> Edit:
    leased = queue.lease_next(session, account.user, dataset.id)
    assert leased is not None
    item = leased[0]
    text = text_of(item.rejected)
    outcome = "no_edit_needed" if text == item.rejected else "edited"
    return edits.save_edit(session, item.id, account.user, text, "submitted", time_spent_s=time_spent_s,
                           outcome=outcome, needs_rewrite=needs_rewrite)


def test_annotator_stats_count_work_and_review_outcomes(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
) -> None:
    dataset = make_dataset(4, soft_max_changed_words=2, hard_max_changed_words=50)
    ann, reviewer = accounts["annotator"], accounts["reviewer"].user
    small = _submit(session, ann, dataset, lambda t: t.replace("cold", "hot"))
    large = _submit(session, ann, dataset, lambda t: t.replace("cold water and wait", "a pan, then wait"))
    same = _submit(session, ann, dataset, lambda t: t)
    review.accept_edit(session, small.id, reviewer)
    review.reject_edit(session, large.id, reviewer, "too much")
    review.modify_edit(session, same.id, reviewer, same.edited_text + " Done.")
    [row] = annotator_stats(session, dataset.id)
    assert (row.email, row.items_done, row.no_edit_needed) == ("annotator@example.org", 3, 1)
    assert (row.accepted, row.rejected, row.modified) == (1, 1, 1)
    assert row.acceptance_rate == 1 / 3
    assert row.over_soft_share == 1 / 3  # only the large edit is above 2 changed words
    assert row.median_time_s is not None and row.median_time_s >= 30.0
    assert annotator_stats(session, make_dataset(1).id) == []


def test_daily_edits_is_a_full_series_ending_today(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
) -> None:
    dataset = make_dataset(2)
    _submit(session, accounts["annotator"], dataset, lambda t: t + " Yes.")
    today = datetime.now(UTC).date()
    series = daily_edits(session, 7, dataset.id)
    assert [day for day, _ in series] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    assert [count for _, count in series] == [0, 0, 0, 0, 0, 0, 1]


def test_bar_chart_scales_labels_and_escapes() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 12, 51, 100)] == [1, 1, 5, 10, 20, 100, 100]
    series = [(date(2026, 1, 1) + timedelta(days=n), n) for n in range(10)]
    svg = str(bar_chart(series, title="<b>edits</b>"))
    assert svg.count('<rect class="bar"') == 10 and "<b>" not in svg and "&lt;b&gt;edits&lt;/b&gt;" in svg
    assert "<title>2026-01-10: 9</title>" in svg and ">10<" in svg  # the top of the axis is 10


def test_dashboard_page_shows_each_dataset_and_annotator(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    dataset = make_dataset(3, name="pairs-a")
    _submit(session, accounts["annotator"], dataset, lambda t: t + " Yes.")
    page = page_client("engineer").get("/dashboard").text
    assert 'data-dataset="pairs-a"' in page and '<td class="num" data-col="edited">1</td>' in page
    assert "annotator@example.org" in page and 'aria-label="1 accepted' not in page
    assert 'aria-label="0 accepted, 0 reviewed, 1 edited of 3 items"' in page
    assert page.count('<rect class="bar"') == 30


def test_annotator_stats_are_per_annotator_and_leave_model_edits_out(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
) -> None:
    dataset = make_dataset(4, soft_max_changed_words=2, hard_max_changed_words=50)
    first, second = accounts["annotator"], accounts["annotator2"]
    done = {_submit(session, first, dataset, lambda t: t.replace("cold", "hot")).item_id,
            _submit(session, first, dataset, lambda t: t.replace("cold water and wait", "a pan, then wait")).item_id,
            _submit(session, second, dataset, lambda t: t.replace("cold", "warm")).item_id}
    spare = next(i for i in dataset.items if i.id not in done)
    edits.save_model_edit(session, spare.id, spare.rejected + " Extra words here.", model_name="claude-test")
    rows = annotator_stats(session, dataset.id)
    assert [(r.email, r.items_done, r.over_soft_share) for r in rows] == [
        ("annotator2@example.org", 1, 0.0), ("annotator@example.org", 2, 0.5)]
    assert all(r.median_time_s == 30.0 for r in rows)


def test_the_median_time_and_the_level_column_follow_the_stored_edits(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
) -> None:
    """The database aggregates (the median on PostgreSQL, in Python on SQLite) over a level it reads from
    each edit's stats itself: both must agree with the edits as stored."""
    dataset = make_dataset(5, soft_max_changed_words=2, hard_max_changed_words=4)
    ann = accounts["annotator"]
    texts = {10.0: lambda t: t.replace("cold", "hot"), 60.0: lambda t: t.replace("cold water and", "a pan and"),
             20.0: lambda t: t.replace("cold water and wait for", "a pan, then simmer it for")}
    made = [_submit(session, ann, dataset, text_of, spent, needs_rewrite=True) for spent, text_of in texts.items()]
    session.expire_all()
    stored = session.query(Edit).filter(Edit.id.in_([e.id for e in made])).order_by(Edit.id).all()
    assert [e.minimality_level for e in stored] == [e.stats["minimality"]["level"] for e in stored]
    assert [e.minimality_level for e in stored] == ["ok", "soft", "hard"]
    [row] = annotator_stats(session, dataset.id)
    assert (row.items_done, row.median_time_s, row.over_soft_share) == (3, 20.0, 2 / 3)
    fourth = _submit(session, ann, dataset, lambda t: t + " Yes.", 40.0)
    assert fourth.id and annotator_stats(session, dataset.id)[0].median_time_s == 30.0  # (20 + 40) / 2


def test_dataset_progress_counts_each_figure_once_per_item(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
) -> None:
    dataset = make_dataset(5)
    ann, reviewer = accounts["annotator"], accounts["reviewer"].user
    accepted = _submit(session, ann, dataset, lambda t: t.replace("cold", "hot"))
    rejected = _submit(session, ann, dataset, lambda t: t.replace("cold", "warm"))
    _submit(session, ann, dataset, lambda t: t)  # no edit needed
    review.accept_edit(session, accepted.id, reviewer)
    review.reject_edit(session, rejected.id, reviewer, "not better")
    leased = queue.lease_next(session, ann.user, dataset.id)
    assert leased is not None
    queue.flag_item(session, leased[0].id, ann.user, "unclear", "which egg?")
    assert dataset_progress(session, dataset.id).to_dict() == {
        "items": 5, "edited": 2, "reviewed": 2, "accepted": 1, "flagged": 1, "no_edit_needed": 1}
    assert dataset_progress(session, make_dataset(2).id).to_dict() == {
        "items": 2, "edited": 0, "reviewed": 0, "accepted": 0, "flagged": 0, "no_edit_needed": 0}
