"""Edit alignment: the minimal word-level diff of a response and its minimal edit, projected onto the
tokens of any fast tokenizer as labels (-1 removed or replaced, +1 inserted or replaced, 0 unchanged).

The web editor's preview, the stored labels, the exports and the reward-model data loader all use this
one implementation. Importing it imports neither torch nor transformers.

The overlap rule. A token of the original is -1 when its character span overlaps a hunk's original
span, or when a pure insertion point lies strictly inside it; a token of the edited text is +1 when its
span overlaps a hunk's edited span, or when a pure deletion point lies strictly inside it; all other
tokens are 0. We align text, not token ids, so a byte-level BPE that re-segments the text around an
edit cannot shift labels onto unchanged words.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from training.text_units import count_words, diff_window, unit_bounds, units
from training.token_splice import byte_level_bpe, splice_tokens
from training.unit_diff import changed_groups, rapidfuzz_groups, slide_pure_groups

__all__ = [
    "NEGATIVE", "NEUTRAL", "POSITIVE", "Alignment", "AlignmentStats", "Hunk", "Token",
    "align", "align_many", "apply_hunks", "diff_hunks", "overlap_labels", "units",
]

NEGATIVE, NEUTRAL, POSITIVE = -1, 0, 1
ORIGINAL_CACHE_ENTRIES = 1024  # originals kept tokenized for repeated align() calls: one per annotator at work
ORIGINAL_CACHE_CHARS = 4_000_000  # and at most this many characters of them in all
BATCH_PAIRS = 1024  # pairs encoded per batch in align_many (bounds the memory of Encoding objects)
_START, _END = itemgetter(0), itemgetter(1)


class Hunk(NamedTuple):
    """`original[orig_start:orig_end]` becomes `edited[edit_start:edit_end]` (half-open character offsets).
    An empty original span is a pure insertion, an empty edited span a pure deletion."""

    orig_start: int
    orig_end: int
    edit_start: int
    edit_end: int


class Token(NamedTuple):
    """A token of one side: its id, the characters it covers (`text[start:end]`; a byte-level token that
    splits a character covers that whole character) and its label."""

    id: int
    text: str
    start: int
    end: int
    label: int


@dataclass(frozen=True)
class AlignmentStats:
    """How much an edit changed, on each side; the minimality guards read these."""

    hunks: int
    """Number of hunks."""
    original_chars: int
    """Length of the original in characters."""
    edited_chars: int
    """Length of the edited text in characters."""
    changed_chars_original: int
    """Characters of the original inside hunks (removed or replaced)."""
    changed_chars_edited: int
    """Characters of the edited text inside hunks (inserted or replaced)."""
    words_original: int
    """Word units (letter/digit runs, characters of scripts without spaces) of the original."""
    words_edited: int
    """Word units of the edited text."""
    changed_words_original: int
    """Word units of the original inside hunks."""
    changed_words_edited: int
    """Word units of the edited text inside hunks."""
    tokens_original: int
    """Tokens of the original."""
    tokens_edited: int
    """Tokens of the edited text."""
    changed_tokens_original: int
    """Tokens of the original labelled -1."""
    changed_tokens_edited: int
    """Tokens of the edited text labelled +1."""
    edit_ratio: float
    """(changed characters of both sides) / (characters of both sides): 0 for no edit, 1 for a rewrite."""


class Alignment:
    """The diff of one (original, edited) pair and the labelled tokens of both sides.

    `original_ids`, `original_offsets`, `original_labels` (and the `edited_` ones) are parallel
    sequences, one entry per token; `original_tokens`/`edited_tokens` and `stats` are built from them on
    first access (a data loader needs only ids and labels). Treat all of them as read-only.

    Offsets may come lazily from the tokenizer's Encoding objects: thousands of alignments holding a
    Python tuple per token would keep the garbage collector busy for nothing."""

    __slots__ = (
        "original", "edited", "hunks", "tokenizer_name",
        "original_ids", "original_labels", "edited_ids", "edited_labels",
        "_original_offsets", "_edited_offsets", "_encodings",
        "_original_tokens", "_edited_tokens", "_stats",
    )

    def __init__(
        self,
        original: str,
        edited: str,
        hunks: list[Hunk],
        tokenizer_name: str,
        original_ids: Sequence[int],
        original_offsets: Sequence[tuple[int, int]] | None,
        original_labels: Sequence[int],
        edited_ids: Sequence[int],
        edited_offsets: Sequence[tuple[int, int]] | None,
        edited_labels: Sequence[int],
        encodings: tuple[Any, Any] | None = None,
    ) -> None:
        """Offsets given as None are read from `encodings` (original's, edited's) when first needed."""
        self.original, self.edited, self.hunks, self.tokenizer_name = original, edited, hunks, tokenizer_name
        self.original_ids, self.original_labels = original_ids, original_labels
        self.edited_ids, self.edited_labels = edited_ids, edited_labels
        if (original_offsets is None or edited_offsets is None) and encodings is None:
            raise ValueError("offsets are needed, or the encodings to read them from")
        self._original_offsets, self._edited_offsets = original_offsets, edited_offsets
        self._encodings = encodings
        self._original_tokens: list[Token] | None = None
        self._edited_tokens: list[Token] | None = None
        self._stats: AlignmentStats | None = None

    @property
    def original_offsets(self) -> Sequence[tuple[int, int]]:
        """(start, end) character span of each token of the original."""
        if self._original_offsets is None:
            assert self._encodings is not None
            self._original_offsets = self._encodings[0].offsets
        return self._original_offsets

    @property
    def edited_offsets(self) -> Sequence[tuple[int, int]]:
        """(start, end) character span of each token of the edited text."""
        if self._edited_offsets is None:
            assert self._encodings is not None
            self._edited_offsets = self._encodings[1].offsets
        return self._edited_offsets

    @property
    def original_tokens(self) -> list[Token]:
        if self._original_tokens is None:
            self._original_tokens = _tokens(self.original, self.original_ids, self.original_offsets,
                                            self.original_labels)
        return self._original_tokens

    @property
    def edited_tokens(self) -> list[Token]:
        if self._edited_tokens is None:
            self._edited_tokens = _tokens(self.edited, self.edited_ids, self.edited_offsets,
                                          self.edited_labels)
        return self._edited_tokens

    @property
    def stats(self) -> AlignmentStats:
        if self._stats is None:
            self._stats = _stats(self)
        return self._stats

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready data (the CLI's --json and the REST endpoint)."""
        return {
            "original": self.original,
            "edited": self.edited,
            "tokenizer": self.tokenizer_name,
            "hunks": [h._asdict() for h in self.hunks],
            "original_tokens": [t._asdict() for t in self.original_tokens],
            "edited_tokens": [t._asdict() for t in self.edited_tokens],
            "stats": asdict(self.stats),
        }

    def __repr__(self) -> str:
        return (f"Alignment(hunks={self.hunks!r}, tokens={len(self.original_ids)}/{len(self.edited_ids)}, "
                f"tokenizer={self.tokenizer_name!r})")


def _tokens(text: str, ids: Sequence[int], offsets: Sequence[tuple[int, int]], labels: Sequence[int]
            ) -> list[Token]:
    if not len(ids) == len(offsets) == len(labels):
        raise ValueError("token ids, offsets and labels differ in length")
    starts, ends = (list(map(_START, offsets)), list(map(_END, offsets))) if offsets else ([], [])
    texts = map(text.__getitem__, map(slice, starts, ends))
    # tuple.__new__ through map builds the named tuples in C: a whole response's tokens in microseconds.
    return list(map(tuple.__new__, repeat(Token), zip(ids, texts, starts, ends, labels, strict=True)))  # type: ignore[arg-type]


def _words(text: str) -> int:
    return count_words(text)


def _stats(al: Alignment) -> AlignmentStats:
    chars_a = sum(h.orig_end - h.orig_start for h in al.hunks)
    chars_b = sum(h.edit_end - h.edit_start for h in al.hunks)
    total = len(al.original) + len(al.edited)
    return AlignmentStats(
        hunks=len(al.hunks),
        original_chars=len(al.original),
        edited_chars=len(al.edited),
        changed_chars_original=chars_a,
        changed_chars_edited=chars_b,
        words_original=_words(al.original),
        words_edited=_words(al.edited),
        # Hunks lie on unit boundaries, so the units of a hunk's text are the units of the full text there.
        changed_words_original=sum(_words(al.original[h.orig_start:h.orig_end]) for h in al.hunks),
        changed_words_edited=sum(_words(al.edited[h.edit_start:h.edit_end]) for h in al.hunks),
        tokens_original=len(al.original_ids),
        tokens_edited=len(al.edited_ids),
        changed_tokens_original=al.original_labels.count(NEGATIVE),
        changed_tokens_edited=al.edited_labels.count(POSITIVE),
        edit_ratio=(chars_a + chars_b) / total if total else 0.0,
    )


# ---------------------------------------------------------------- the overlap rule


def overlap_labels(offsets: Sequence[Sequence[int]], spans: Sequence[Sequence[int]], value: int, *,
                   monotone: bool | None = None) -> list[int]:
    """Labels of one side's tokens under the overlap rule.

    `offsets`: a (start, end) character span per token. `spans`: that side's hunk spans, sorted and
    disjoint; an empty span (start == end) is the point where the other side inserted or deleted text.
    A token gets `value` when its span overlaps a non-empty span, or an empty span's point lies strictly
    inside it; otherwise 0. A token with an empty span overlaps nothing. `monotone`: whether token starts
    and ends are known to be non-decreasing (None: check)."""
    n = len(offsets)
    labels = [NEUTRAL] * n
    if not n or not spans:
        return labels
    if monotone is None:
        starts, ends = zip(*offsets, strict=True)
        monotone = list(starts) == sorted(starts) and list(ends) == sorted(ends)
    if monotone:
        # The tokens a span touches form one index range: two bisections per span, no pass over tokens.
        for lo, hi in spans:
            first = bisect_right(offsets, lo, key=_END)  # first token ending after the span starts
            stop = bisect_left(offsets, hi if hi > lo else lo, key=_START)  # tokens starting before it ends
            for k in range(first, stop):
                s, e = offsets[k]
                if s < e:
                    labels[k] = value
        return labels
    span_starts = [lo for lo, _ in spans]
    for k, (s, e) in enumerate(offsets):
        j = bisect_left(span_starts, e)  # spans starting before the token ends; the last reaches furthest
        if s < e and j:
            lo, hi = spans[j - 1]
            if (hi > s) if hi > lo else (s < lo):
                labels[k] = value
    return labels


# ---------------------------------------------------------------- the diff


def apply_hunks(original: str, hunks: Iterable[Sequence[int]], edited: str) -> str:
    """`original` with each hunk's original span replaced by its span of `edited` (gives `edited` back
    for the hunks of that pair)."""
    pieces, at = [], 0
    for orig_start, orig_end, edit_start, edit_end in hunks:
        pieces.append(original[at:orig_start])
        pieces.append(edited[edit_start:edit_end])
        at = orig_end
    pieces.append(original[at:])
    return "".join(pieces)


def _hunks(a: str, b: str, a_units: list[str] | None = None, a_bounds: list[int] | None = None) -> list[Hunk]:
    if a == b:
        return []
    start, end_a, end_b = diff_window(a, b)
    ua: list[str] | None = None
    if a_units is not None and a_bounds is not None:
        i0, i1 = bisect_left(a_bounds, start), bisect_left(a_bounds, end_a)
        if a_bounds[i0] == start and a_bounds[i1] == end_a:
            ua = a_units[i0:i1]
    if ua is None:
        ua = units(a[start:end_a])
    ub = units(b[start:end_b])
    groups = changed_groups(ua, ub)
    slide_pure_groups(groups, ua, ub)
    hunks = _to_hunks(groups, ua, ub, start)
    if apply_hunks(a, hunks, b) != b:
        # rapidfuzz compares units by their 64-bit hash; on a collision, compare exact integer ids instead.
        ids: dict[str, int] = {}
        groups = rapidfuzz_groups([ids.setdefault(u, len(ids)) for u in ua],
                                  [ids.setdefault(u, len(ids)) for u in ub])
        slide_pure_groups(groups, ua, ub)
        hunks = _to_hunks(groups, ua, ub, start)
    return hunks


def _to_hunks(groups: list[list[int]], ua: list[str], ub: list[str], start: int) -> list[Hunk]:
    """Unit index ranges to character offsets (lengths of joined runs: far cheaper than every bound)."""
    hunks = []
    pos_a = pos_b = start
    at_a = at_b = 0
    for i1, i2, j1, j2 in groups:
        pos_a += len("".join(ua[at_a:i1]))
        pos_b += len("".join(ub[at_b:j1]))
        end_a = pos_a + len("".join(ua[i1:i2]))
        end_b = pos_b + len("".join(ub[j1:j2]))
        hunks.append(Hunk(pos_a, end_a, pos_b, end_b))
        pos_a, pos_b, at_a, at_b = end_a, end_b, i2, j2
    return hunks


def _require_str(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")


def diff_hunks(original: str, edited: str) -> list[Hunk]:
    """The hunks of the minimal word-level diff (no tokenizer needed): sorted, disjoint, on unit
    boundaries; applying them to `original` gives `edited`; identical texts give none."""
    _require_str(original, "original")
    _require_str(edited, "edited")
    return _hunks(original, edited)


# ---------------------------------------------------------------- alignment with tokens


def _labels(hunks: list[Hunk], monotone: bool | None, offs_a: Sequence[tuple[int, int]],
            offs_b: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    if not hunks:
        return [NEUTRAL] * len(offs_a), [NEUTRAL] * len(offs_b)
    return (overlap_labels(offs_a, [(h.orig_start, h.orig_end) for h in hunks], NEGATIVE, monotone=monotone),
            overlap_labels(offs_b, [(h.edit_start, h.edit_end) for h in hunks], POSITIVE, monotone=monotone))


_cache_lock = threading.Lock()


class _Original(NamedTuple):
    """What align() keeps of an original between calls."""

    backend: Any
    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]
    units: list[str]
    bounds: list[int]


# (id(backend), original) -> its _Original, least recently used first.
_original_cache: OrderedDict[tuple[int, str], _Original] = OrderedDict()
_original_cache_chars = 0


def _original_entry(backend: Any, original: str) -> _Original:
    """The original's tokenization and units, cached: while an annotator edits, the original never changes."""
    global _original_cache_chars
    key = (id(backend), original)
    with _cache_lock:
        hit = _original_cache.get(key)
        if hit is not None and hit.backend is backend:
            _original_cache.move_to_end(key)
            return hit
    enc = backend.encode(original, add_special_tokens=False)
    offsets = tuple(enc.offsets)
    parts = units(original)
    entry = _Original(backend, tuple(enc.ids), offsets, tuple(s for s, _ in offsets), parts, unit_bounds(parts))
    with _cache_lock:
        if key not in _original_cache:
            _original_cache[key] = entry
            _original_cache_chars += len(original)
            while len(_original_cache) > 1 and (len(_original_cache) > ORIGINAL_CACHE_ENTRIES
                                                or _original_cache_chars > ORIGINAL_CACHE_CHARS):
                (_, dropped), _ = _original_cache.popitem(last=False)
                _original_cache_chars -= len(dropped)
    return entry


def clear_original_cache() -> None:
    """Forget every cached original (tests and benchmarks measure cold calls with it)."""
    global _original_cache_chars
    with _cache_lock:
        _original_cache.clear()
        _original_cache_chars = 0


def align(original: str, edited: str, tokenizer: Any = None, *,
          cache_dir: str | os.PathLike[str] | None = None) -> Alignment:
    """Align one pair. `tokenizer`: a fast tokenizer object, a local tokenizer directory, the bundled
    name, or None for the bundled default. The original's tokenization is cached (bounded LRU), and the
    edited text is re-encoded only around its hunks where that is exact (training.token_splice)."""
    _require_str(original, "original")
    _require_str(edited, "edited")
    from training.tokenizers import offsets_backend

    backend, name = offsets_backend(tokenizer, cache_dir)
    cached = _original_entry(backend, original)
    hunks = _hunks(original, edited, cached.units, cached.bounds)
    # Re-encode only around the hunks where that is exact for this tokenizer, else the whole edit.
    spliced = splice_tokens(backend, original, cached.ids, cached.offsets, cached.starts, edited, hunks)
    if spliced is None:
        enc = backend.encode(edited, add_special_tokens=False)
        spliced = enc.ids, enc.offsets
    ids_b, offs_b = spliced
    labels_a, labels_b = _labels(hunks, True if byte_level_bpe(backend) else None, cached.offsets, offs_b)
    return Alignment(original, edited, hunks, name, cached.ids, cached.offsets, labels_a, ids_b, offs_b, labels_b)


def align_many(pairs: Iterable[tuple[str, str]], tokenizer: Any = None, *,
               cache_dir: str | os.PathLike[str] | None = None) -> list[Alignment]:
    """Align many (original, edited) pairs with the tokenizer's batch encoding; same results as align()."""
    originals: list[str] = []
    editeds: list[str] = []
    for k, pair in enumerate(pairs):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise TypeError(f"pairs[{k}] must be an (original, edited) pair of str, "
                            f"got {type(pair).__name__}")
        _require_str(pair[0], f"pairs[{k}][0] (original)")
        _require_str(pair[1], f"pairs[{k}][1] (edited)")
        originals.append(pair[0])
        editeds.append(pair[1])
    from training.tokenizers import offsets_backend

    backend, name = offsets_backend(tokenizer, cache_dir)
    monotone = True if byte_level_bpe(backend) else None
    out: list[Alignment] = []
    for lo in range(0, len(originals), BATCH_PAIRS):
        chunk_a, chunk_b = originals[lo:lo + BATCH_PAIRS], editeds[lo:lo + BATCH_PAIRS]
        m = len(chunk_a)
        encodings = backend.encode_batch(chunk_a + chunk_b, add_special_tokens=False)
        for k in range(m):
            a, b, ea, eb = chunk_a[k], chunk_b[k], encodings[k], encodings[m + k]
            hunks = _hunks(a, b)
            labels_a, labels_b = _labels(hunks, monotone, ea.offsets, eb.offsets)  # offsets read, used, freed
            out.append(Alignment(a, b, hunks, name, ea.ids, None, labels_a, eb.ids, None, labels_b, (ea, eb)))
    return out
