"""How minimal an edit is, against the dataset's soft and hard thresholds.

Above a soft threshold the editor warns; above a hard one a submit is refused unless the annotator
declares that the response needed a rewrite (stored as `needs_rewrite`).
"""

from dataclasses import dataclass, field
from typing import Any

from app.models import Dataset

OK, SOFT, HARD = "ok", "soft", "hard"


@dataclass(frozen=True)
class Minimality:
    """The figures of one edit and the verdict."""

    changed_words: int
    """Words removed from the original plus words inserted by the edit."""
    original_words: int
    """Words in the original response."""
    edit_ratio: float
    """changed_words / original_words (0 for an unchanged text)."""
    hunks: int
    """Contiguous changed regions."""
    level: str
    """ok, soft (warn) or hard (refuse unless needs_rewrite)."""
    reasons: list[str] = field(default_factory=list)
    """Human-readable reasons for a soft or hard level."""

    def to_dict(self) -> dict[str, Any]:
        return {"changed_words": self.changed_words, "original_words": self.original_words,
                "edit_ratio": self.edit_ratio, "hunks": self.hunks, "level": self.level, "reasons": self.reasons}


def _int(stats: dict[str, Any], *keys: str) -> int:
    for key in keys:
        if key in stats and stats[key] is not None:
            return int(stats[key])
    return 0


def assess(stats: dict[str, Any], hunk_count: int, dataset: Dataset) -> Minimality:
    """Grade an edit's stats (from diffing.edit_figures) against `dataset`'s thresholds."""
    changed = _int(stats, "changed_words")
    if not changed:
        changed = _int(stats, "removed_words") + _int(stats, "inserted_words")
    original_words = _int(stats, "original_words")
    ratio = changed / original_words if original_words else (1.0 if changed else 0.0)
    reasons: list[str] = []
    level = OK
    if changed > dataset.hard_max_changed_words or ratio > dataset.hard_max_edit_ratio:
        level = HARD
    elif changed > dataset.soft_max_changed_words or ratio > dataset.soft_max_edit_ratio:
        level = SOFT
    if level != OK:
        soft = level == SOFT
        max_words = dataset.soft_max_changed_words if soft else dataset.hard_max_changed_words
        max_ratio = dataset.soft_max_edit_ratio if soft else dataset.hard_max_edit_ratio
        if changed > max_words:
            reasons.append(f"{changed} changed words (limit {max_words})")
        if ratio > max_ratio:
            reasons.append(f"{ratio:.0%} of the response changed (limit {max_ratio:.0%})")
    return Minimality(changed_words=changed, original_words=original_words, edit_ratio=round(ratio, 4),
                      hunks=hunk_count, level=level, reasons=reasons)
