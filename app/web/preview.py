"""What the editor shows for a text: the inline token diff against the original and the minimality meter.

Both come from one call of the shared alignment with the dataset's tokenizer, so the preview shows
the labels and the figures that the server stores on submit; nothing here trusts the browser.
"""

from dataclasses import asdict, dataclass

from app.models import Dataset
from app.services.diffing import align_texts
from app.services.minimality import HARD, SOFT, Minimality, assess
from app.web.diffview import InlineDiff, TokenSide, build_inline_diff


@dataclass(frozen=True)
class Gauge:
    """One figure of the minimality meter and where it stands against the dataset's limits."""

    name: str
    value: str
    limit: str
    level: str
    """ok, soft or hard"""
    fill: float
    """0..1, the share of the hard limit reached (for the bar)."""


@dataclass(frozen=True)
class Preview:
    diff: InlineDiff
    minimality: Minimality
    gauges: list[Gauge]


def _level(value: float, soft: float, hard: float) -> str:
    return HARD if value > hard else (SOFT if value > soft else "ok")


def gauges_for(m: Minimality, dataset: Dataset) -> list[Gauge]:
    words = Gauge(
        "Changed words", str(m.changed_words),
        f"warn above {dataset.soft_max_changed_words}, limit {dataset.hard_max_changed_words}",
        _level(m.changed_words, dataset.soft_max_changed_words, dataset.hard_max_changed_words),
        min(1.0, m.changed_words / max(1, dataset.hard_max_changed_words)),
    )
    ratio = Gauge(
        "Share of text changed", f"{m.edit_ratio:.0%}",
        f"warn above {dataset.soft_max_edit_ratio:.0%}, limit {dataset.hard_max_edit_ratio:.0%}",
        _level(m.edit_ratio, dataset.soft_max_edit_ratio, dataset.hard_max_edit_ratio),
        min(1.0, m.edit_ratio / max(1e-9, dataset.hard_max_edit_ratio)),
    )
    tokens = Gauge("Changed tokens", str(m.changed_tokens), f"in {m.hunks} hunk{'s' if m.hunks != 1 else ''}",
                   "ok", 0.0)
    return [words, ratio, tokens]


def build_preview(original: str, edited: str, dataset: Dataset) -> Preview:
    """The diff and meter of `edited` against `original` (InvalidInput when the tokenizer cannot load)."""
    alignment = align_texts(original, edited, dataset.tokenizer)
    minimality = assess(asdict(alignment.stats), dataset)
    diff = build_inline_diff(
        original,
        edited,
        alignment.hunks,
        TokenSide(alignment.original_offsets, alignment.original_labels),
        TokenSide(alignment.edited_offsets, alignment.edited_labels),
    )
    return Preview(diff, minimality, gauges_for(minimality, dataset))
