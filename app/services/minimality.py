"""How minimal an edit is, against the dataset's soft and hard thresholds.

Above a soft threshold the editor warns; above a hard one a submit is refused unless the annotator
declares that the response needed a rewrite (stored as `needs_rewrite`).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

OK, SOFT, HARD = "ok", "soft", "hard"


@dataclass(frozen=True)
class Minimality:
    """The figures of one edit and the verdict."""

    changed_words: int
    """Words removed from the original plus words inserted by the edit."""
    original_words: int
    """Words in the original response."""
    edit_ratio: float
    """Changed characters of both sides over all characters of both sides (0 unchanged, 1 rewritten)."""
    hunks: int
    """Contiguous changed regions."""
    changed_tokens: int
    """Tokens labelled -1 in the original plus tokens labelled +1 in the edit."""
    level: str
    """ok, soft (warn) or hard (refuse unless needs_rewrite)."""
    reasons: list[str] = field(default_factory=list)
    """Human-readable reasons for a soft or hard level."""

    def to_dict(self) -> dict[str, Any]:
        return {"changed_words": self.changed_words, "original_words": self.original_words,
                "edit_ratio": self.edit_ratio, "hunks": self.hunks, "changed_tokens": self.changed_tokens, "level": self.level, "reasons": self.reasons}


class Thresholds(Protocol):
    """A dataset's minimality thresholds (a Dataset row, or a row of just these columns)."""

    @property
    def soft_max_changed_words(self) -> int: ...
    @property
    def hard_max_changed_words(self) -> int: ...
    @property
    def soft_max_edit_ratio(self) -> float: ...
    @property
    def hard_max_edit_ratio(self) -> float: ...


def assess(stats: dict[str, Any], dataset: Thresholds) -> Minimality:
    """Grade an edit's stats (training.alignment.AlignmentStats as a dict) against `dataset`'s thresholds.

    Changed words are the words removed plus the words inserted (the word-level Indel distance: a
    replaced word counts twice); the edit ratio is the alignment's share of changed characters."""
    changed = int(stats["changed_words_original"]) + int(stats["changed_words_edited"])
    original_words = int(stats["words_original"])
    ratio = float(stats["edit_ratio"])
    level = OK
    if changed > dataset.hard_max_changed_words or ratio > dataset.hard_max_edit_ratio:
        level = HARD
    elif changed > dataset.soft_max_changed_words or ratio > dataset.soft_max_edit_ratio:
        level = SOFT
    reasons: list[str] = []
    if level != OK:
        soft = level == SOFT
        max_words = dataset.soft_max_changed_words if soft else dataset.hard_max_changed_words
        max_ratio = dataset.soft_max_edit_ratio if soft else dataset.hard_max_edit_ratio
        if changed > max_words:
            reasons.append(f"{changed} changed words (limit {max_words})")
        if ratio > max_ratio:
            reasons.append(f"{ratio:.0%} of the text changed (limit {max_ratio:.0%})")
    return Minimality(changed_words=changed, original_words=original_words, edit_ratio=round(ratio, 4),
                      hunks=int(stats["hunks"]), changed_tokens=int(stats["changed_tokens_original"])
                      + int(stats["changed_tokens_edited"]), level=level, reasons=reasons)
