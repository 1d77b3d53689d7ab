"""The inline diff an annotator sees: one stream of tokens where the original's removed tokens (label -1)
are struck through and the edit's inserted tokens (label +1) are underlined, in the edit's order.

It shows exactly the token labels that training will see. The text between tokens is rendered as it is
(white-space: pre-wrap in the stylesheet), so indentation, lists and code blocks keep their shape.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

SAME, DELETED, INSERTED = "same", "del", "ins"


@dataclass(frozen=True)
class Token:
    """A token's character span in its text and its label (-1 removed, +1 inserted, 0 unchanged)."""

    start: int
    end: int
    label: int


@dataclass(frozen=True)
class Hunk:
    """One changed region: original[orig_start:orig_end] became edited[edit_start:edit_end]."""

    orig_start: int
    orig_end: int
    edit_start: int
    edit_end: int


@dataclass(frozen=True)
class Piece:
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
    original_tokens: int | None

    @property
    def changed_tokens(self) -> int | None:
        if self.negative is None or self.positive is None:
            return None
        return self.negative + self.positive

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


def _deleted_runs(tokens: Sequence[Token]) -> list[list[Token]]:
    runs: list[list[Token]] = []
    current: list[Token] = []
    for tok in tokens:
        if tok.label < 0:
            current.append(tok)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _run_pieces(original: str, run: list[Token]) -> Iterable[Piece]:
    cursor = run[0].start
    for tok in run:
        if tok.start > cursor:  # text inside the run that no token covers
            yield Piece(DELETED, original[cursor:tok.start], token=False)
        start = max(tok.start, cursor)
        if tok.end > start:  # tokens of one multi-byte character share offsets: show the text once
            yield Piece(DELETED, original[start:tok.end])
            cursor = tok.end


def _token_stream(original: str, edited: str, hunks: Sequence[Hunk], original_tokens: Sequence[Token],
                  edited_tokens: Sequence[Token]) -> list[Piece]:
    # Each run of removed tokens goes just before the edit's tokens at the place it was removed from.
    events: list[tuple[int, int, int, Any]] = []
    for n, run in enumerate(_deleted_runs(original_tokens)):
        events.append((_map_position(run[0].start, hunks), 0, n, run))
    for n, tok in enumerate(edited_tokens):
        events.append((tok.start, 1, n, tok))
    events.sort(key=lambda e: e[:3])
    pieces: list[Piece] = []
    cursor = 0
    for _pos, kind, _n, payload in events:
        if kind == 0:
            pieces.extend(_run_pieces(original, payload))
            continue
        token: Token = payload
        if token.start > cursor:
            pieces.append(Piece(SAME, edited[cursor:token.start], token=False))
        start = max(token.start, cursor)
        if token.end > start:
            pieces.append(Piece(INSERTED if token.label > 0 else SAME, edited[start:token.end]))
            cursor = token.end
    if cursor < len(edited):
        pieces.append(Piece(SAME, edited[cursor:], token=False))
    return pieces


def _hunk_stream(original: str, edited: str, hunks: Sequence[Hunk]) -> list[Piece]:
    """Without a tokenizer: the word hunks alone."""
    pieces: list[Piece] = []
    cursor = 0
    for h in hunks:
        if h.edit_start > cursor:
            pieces.append(Piece(SAME, edited[cursor:h.edit_start], token=False))
        if h.orig_end > h.orig_start:
            pieces.append(Piece(DELETED, original[h.orig_start:h.orig_end], token=False))
        if h.edit_end > h.edit_start:
            pieces.append(Piece(INSERTED, edited[h.edit_start:h.edit_end], token=False))
        cursor = h.edit_end
    if cursor < len(edited):
        pieces.append(Piece(SAME, edited[cursor:], token=False))
    return pieces


def build_inline_diff(
    original: str,
    edited: str,
    hunks: Sequence[Hunk],
    original_tokens: Sequence[Token] | None = None,
    edited_tokens: Sequence[Token] | None = None,
) -> InlineDiff:
    """The inline stream of an edit; with tokens when both token lists are given, else by word hunks."""
    ordered = sorted(hunks, key=lambda h: (h.orig_start, h.edit_start))
    if original_tokens is None or edited_tokens is None:
        return InlineDiff(_hunk_stream(original, edited, ordered), None, None, len(ordered), None)
    return InlineDiff(
        pieces=_token_stream(original, edited, ordered, original_tokens, edited_tokens),
        negative=sum(1 for t in original_tokens if t.label < 0),
        positive=sum(1 for t in edited_tokens if t.label > 0),
        hunks=len(ordered),
        original_tokens=len(original_tokens),
    )


_NEWLINE_MARK = Markup('<span class="nl" aria-hidden="true"></span>\n')


def _changed_text(text: str) -> Markup:
    """Escaped text with a visible mark before each newline (a struck or underlined line break)."""
    return _NEWLINE_MARK.join(escape(part) for part in text.split("\n"))


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
            out.append(f'<span class="tok">{escape(piece.text)}</span>')
        else:
            out.append(str(escape(piece.text)))
    return Markup("".join(out))
