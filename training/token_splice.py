"""Tokens of an edited text from the original's tokens: only the text around each hunk is re-encoded.

The editor aligns at every pause in typing, and encoding a whole 1,000-word response costs more than
everything else an alignment does. This is exact, not a heuristic, for the tokenizers it accepts:
byte-level BPE with the GPT-2 pre-tokenizer regex (as the bundled SmolLM2 tokenizer), no normalizer,
and no added-token text in either side. Their encoding is the concatenation of the BPE of each
pre-token, and that regex

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+

has no lookbehind, and no match that contains a non-space character can run on into a following
space. So at a single space with non-space characters on both sides, a pre-token always ends, and what
follows is pre-tokenized as if the text began there. Cutting both texts at such spaces inside their
common stretches, the original's tokens between cuts are the edited text's tokens there (shifted),
and only the stretches that hold a hunk need encoding. For any other tokenizer we return None and the
caller encodes the whole text.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from tokenizers import models, pre_tokenizers, processors

# A single space between two characters that are not whitespace by any definition in use.
_NOT_SPACE = r"[^\s\u180e\u200b\u2060\ufeff]"
_CUT = re.compile(rf"(?<={_NOT_SPACE}) (?={_NOT_SPACE})")
MAX_ADDED_TOKENS = 2_000  # beyond this many added tokens, scanning for them costs more than it saves

_lock = threading.Lock()
# id(backend) -> (backend, pattern matching any added token's text, or None when splicing is not exact)
_support: dict[int, tuple[Any, re.Pattern[str] | None]] = {}


def _added_tokens_pattern(backend: Any) -> re.Pattern[str] | None:
    """A pattern that finds any added token's text, or None when the backend cannot be spliced."""
    if backend.normalizer is not None:
        return None
    pre = backend.pre_tokenizer
    if not isinstance(pre, pre_tokenizers.ByteLevel) or not pre.use_regex:
        return None
    model = backend.model
    if not isinstance(model, models.BPE) or model.dropout not in (None, 0.0):
        return None
    post = backend.post_processor
    if post is not None and not isinstance(post, processors.TemplateProcessing):
        return None
    contents = sorted({t.content for t in backend.get_added_tokens_decoder().values() if t.content}, key=len,
                      reverse=True)
    if len(contents) > MAX_ADDED_TOKENS:
        return None
    return re.compile("|".join(map(re.escape, contents)) if contents else r"(?!x)x")


def _pattern_for(backend: Any) -> re.Pattern[str] | None:
    with _lock:
        entry = _support.get(id(backend))
        if entry is not None and entry[0] is backend:
            return entry[1]
    pattern = _added_tokens_pattern(backend)
    with _lock:
        _support[id(backend)] = (backend, pattern)
    return pattern


def byte_level_bpe(backend: Any) -> bool:
    """Whether `backend` is the byte-level BPE family reasoned about above. Its token offsets are also
    monotone: pre-tokens come in text order and a pre-token's tokens cover its bytes in order."""
    return _pattern_for(backend) is not None


def _last_cut(text: str, lo: int, hi: int) -> int | None:
    """The last cut whose space and both neighbours lie in text[lo:hi]."""
    last = None
    for match in _CUT.finditer(text, lo + 1, hi):
        last = match.start()
    return last


def _first_cut(text: str, lo: int, hi: int) -> int | None:
    match = _CUT.search(text, lo + 1, hi)
    return match.start() if match else None


def _windows(original: str, hunks: Sequence[Sequence[int]]) -> list[list[int]]:
    """[orig_lo, orig_hi, edit_lo, edit_hi] stretches to re-encode, each holding one or more hunks and
    bounded by cuts (or the ends of the texts)."""
    windows: list[list[int]] = []
    prev_a = prev_b = 0  # end of the previous hunk in each text
    for k, (a0, a1, b0, b1) in enumerate(hunks):
        if k == 0:
            cut = _last_cut(original, 0, a0)
            start = 0 if cut is None else cut  # before the first hunk both texts share offsets
            windows.append([start, a1, start, b1])
        else:
            close = _first_cut(original, prev_a, a0)
            if close is None:  # no cut between the hunks: one window holds both
                windows[-1][1], windows[-1][3] = a1, b1
            else:
                windows[-1][1], windows[-1][3] = close, close + (prev_b - prev_a)
                cut = _last_cut(original, prev_a, a0)
                assert cut is not None
                windows.append([cut, a1, cut + (b0 - a0), b1])
        prev_a, prev_b = a1, b1
    if windows:
        close = _first_cut(original, prev_a, len(original))
        end_shift = prev_b - prev_a
        windows[-1][1] = close if close is not None else len(original)
        windows[-1][3] = (close + end_shift) if close is not None else len(original) + end_shift
    return windows


def splice_tokens(backend: Any, original: str, ids: Sequence[int], offsets: Sequence[tuple[int, int]],
                  starts: Sequence[int], edited: str, hunks: Sequence[Sequence[int]]
                  ) -> tuple[list[int], list[tuple[int, int]]] | None:
    """(ids, offsets) of `edited`, exactly as `backend.encode(edited, add_special_tokens=False)` gives
    them, built from the original's `ids`/`offsets` (`starts`: their start offsets) and the `hunks`
    that turn `original` into `edited`; None when the backend or the texts do not allow it."""
    pattern = _pattern_for(backend)
    if pattern is None or pattern.search(original) or pattern.search(edited):
        return None
    windows = _windows(original, hunks)
    # One by one: encode_batch hands a few short windows to a thread pool, which doubled the CPU they cost
    # and, on a busy server, left the request waiting for the pool's threads to be scheduled.
    encodings = [backend.encode(edited[w[2]:w[3]], add_special_tokens=False) for w in windows]
    out_ids: list[int] = []
    out_offsets: list[tuple[int, int]] = []
    done, shift = 0, 0  # original tokens consumed; edited minus original offset of the current stretch
    for (a0, a1, b0, b1), enc in zip(windows, encodings, strict=True):
        first, stop = bisect_left(starts, a0), bisect_left(starts, a1)
        if not (_boundary(offsets, first, a0) and _boundary(offsets, stop, a1)):
            return None  # the original's tokens do not break at a cut: not the tokenizer we reasoned about
        _copy(ids, offsets, done, first, shift, out_ids, out_offsets)
        out_ids.extend(enc.ids)
        out_offsets.extend((s + b0, e + b0) for s, e in enc.offsets)
        done, shift = stop, b1 - a1
    _copy(ids, offsets, done, len(ids), shift, out_ids, out_offsets)
    return out_ids, out_offsets


def _boundary(offsets: Sequence[tuple[int, int]], index: int, at: int) -> bool:
    """The tokens before `index` (those starting before `at`) all end by `at`. Tokens from `index` on
    start at or after it; not necessarily at it, as a byte the vocabulary lacks yields no token."""
    return index == 0 or offsets[index - 1][1] <= at


def _copy(ids: Sequence[int], offsets: Sequence[tuple[int, int]], lo: int, hi: int, shift: int,
          out_ids: list[int], out_offsets: list[tuple[int, int]]) -> None:
    out_ids.extend(ids[lo:hi])
    if shift:
        out_offsets.extend((s + shift, e + shift) for s, e in offsets[lo:hi])
    else:
        out_offsets.extend(offsets[lo:hi])
