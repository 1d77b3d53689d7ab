"""The inline diff an annotator sees: one stream of tokens where the original's removed tokens (label -1)
are struck through and the edit's inserted tokens (label +1) are underlined, in the edit's order.

It shows exactly the token labels that training will see. The text between tokens is rendered as it is
(white-space: pre-wrap in the stylesheet), so indentation, lists and code blocks keep their shape.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup

SAME, DELETED, INSERTED = "same", "del", "ins"


@dataclass(frozen=True)
class TokenSide:
    """One text's tokens as the alignment gives them: parallel (start, end) spans and labels."""

    offsets: Sequence[Sequence[int]]
    labels: Sequence[int]

    @classmethod
    def of(cls, tokens: Sequence[tuple[int, int, int]]) -> "TokenSide":
        """From (start, end, label) triples (handy in tests)."""
        return cls([(a, b) for a, b, _ in tokens], [label for _, _, label in tokens])


class Hunk(NamedTuple):
    """One changed region: original[orig_start:orig_end] became edited[edit_start:edit_end]."""

    orig_start: int
    orig_end: int
    edit_start: int
    edit_end: int


class Piece(NamedTuple):
    """A run of text in the inline stream; `token` is False for text no token covers."""

    kind: str
    text: str
    token: bool = True


@dataclass(frozen=True)
class InlineDiff:
    pieces: list[Piece]
    negative: int | None
    """Tokens of the original labelled -1 (None without a tokenizer)."""
    positive: int | None
    """Tokens of the edit labelled +1 (None without a tokenizer)."""
    hunks: int

    @property
    def unchanged(self) -> bool:
        return self.hunks == 0


def _map_position(pos: int, hunks: Sequence[Hunk]) -> int:
    """Where a character position of the original falls in the edit (a hunk's start when inside one)."""
    shift = 0
    for h in hunks:
        if pos < h.orig_start:
            return pos + shift
        if pos < h.orig_end:
            return h.edit_start
        shift = h.edit_end - h.orig_end
    return pos + shift


def _deleted_runs(side: TokenSide) -> list[tuple[int, int]]:
    """[first, stop) index ranges of consecutive tokens labelled -1."""
    runs: list[tuple[int, int]] = []
    first = -1
    for k, label in enumerate(side.labels):
        if label < 0:
            if first < 0:
                first = k
        elif first >= 0:
            runs.append((first, k))
            first = -1
    if first >= 0:
        runs.append((first, len(side.labels)))
    return runs


def _run_pieces(original: str, side: TokenSide, first: int, stop: int, out: list[Piece]) -> None:
    cursor = side.offsets[first][0]
    for k in range(first, stop):
        start, end = side.offsets[k]
        if start > cursor:  # text inside the run that no token covers
            out.append(Piece(DELETED, original[cursor:start], False))
        start = max(start, cursor)
        if end > start:  # tokens of one multi-byte character share offsets: show the text once
            out.append(Piece(DELETED, original[start:end]))
            cursor = end


def _token_stream(original: str, edited: str, hunks: Sequence[Hunk], orig: TokenSide, edit: TokenSide
                  ) -> list[Piece]:
    """Merge the edit's tokens with the original's removed runs, each run placed just before the edit's
    tokens at the place it was removed from. Both sequences are already in order: no sort needed."""
    runs = [(first, stop, _map_position(orig.offsets[first][0], hunks)) for first, stop in _deleted_runs(orig)]
    pieces: list[Piece] = []
    cursor = 0
    r = 0
    for (start, end), label in zip(edit.offsets, edit.labels, strict=True):
        while r < len(runs) and runs[r][2] <= start:
            _run_pieces(original, orig, runs[r][0], runs[r][1], pieces)
            r += 1
        if start > cursor:
            pieces.append(Piece(SAME, edited[cursor:start], False))
        start = max(start, cursor)
        if end > start:
            pieces.append(Piece(INSERTED if label > 0 else SAME, edited[start:end]))
            cursor = end
    for first, stop, _anchor in runs[r:]:
        _run_pieces(original, orig, first, stop, pieces)
    if cursor < len(edited):
        pieces.append(Piece(SAME, edited[cursor:], False))
    return pieces


def _hunk_stream(original: str, edited: str, hunks: Sequence[Hunk]) -> list[Piece]:
    """Without a tokenizer: the word hunks alone."""
    pieces: list[Piece] = []
    cursor = 0
    for h in hunks:
        if h.edit_start > cursor:
            pieces.append(Piece(SAME, edited[cursor:h.edit_start], False))
        if h.orig_end > h.orig_start:
            pieces.append(Piece(DELETED, original[h.orig_start:h.orig_end], False))
        if h.edit_end > h.edit_start:
            pieces.append(Piece(INSERTED, edited[h.edit_start:h.edit_end], False))
        cursor = h.edit_end
    if cursor < len(edited):
        pieces.append(Piece(SAME, edited[cursor:], False))
    return pieces


def build_inline_diff(
    original: str,
    edited: str,
    hunks: Sequence[Sequence[int]],
    original_side: TokenSide | None = None,
    edited_side: TokenSide | None = None,
) -> InlineDiff:
    """The inline stream of an edit; with tokens when both sides are given, else by word hunks.
    `hunks` are (orig_start, orig_end, edit_start, edit_end), sorted as the alignment returns them."""
    ordered = [Hunk(*h) for h in hunks]
    if original_side is None or edited_side is None:
        return InlineDiff(_hunk_stream(original, edited, ordered), None, None, len(ordered))
    return InlineDiff(
        pieces=_token_stream(original, edited, ordered, original_side, edited_side),
        negative=sum(1 for label in original_side.labels if label < 0),
        positive=sum(1 for label in edited_side.labels if label > 0),
        hunks=len(ordered),
    )


_NEWLINE_MARK = '<span class="nl" aria-hidden="true"></span>\n'
# The same five characters markupsafe escapes; str.translate does a whole piece in one C call.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def _changed_text(text: str) -> str:
    """Escaped text with a visible mark before each newline (a struck or underlined line break)."""
    return text.translate(_ESCAPES).replace("\n", _NEWLINE_MARK)


def render_pieces(diff: InlineDiff) -> Markup:
    """The stream as HTML: every character escaped, no whitespace added between elements."""
    out: list[str] = []
    for piece in diff.pieces:
        cls = ' class="tok"' if piece.token else ""
        if piece.kind == DELETED:
            out.append(f'<del{cls} data-label="-1">{_changed_text(piece.text)}</del>')
        elif piece.kind == INSERTED:
            out.append(f'<ins{cls} data-label="1">{_changed_text(piece.text)}</ins>')
        elif piece.token:
            out.append(f'<span class="tok">{piece.text.translate(_ESCAPES)}</span>')
        else:
            out.append(piece.text.translate(_ESCAPES))
    return Markup("".join(out))
