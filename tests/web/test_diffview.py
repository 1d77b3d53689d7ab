"""The inline diff stream: removed tokens struck before the edit's tokens, every character escaped."""

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from app.web.diffview import DELETED, INSERTED, SAME, Hunk, TokenSide, build_inline_diff, render_pieces


def _tokens(text: str, cuts: list[int], labels: list[int]) -> TokenSide:
    bounds = [0, *cuts, len(text)]
    return TokenSide(list(pairwise(bounds)), labels)


def test_replaced_word_is_struck_then_inserted_in_place():
    original, edited = "the cat sat", "the dog sat"
    orig = _tokens(original, [3, 7], [0, -1, 0])  # "the", " cat", " sat"
    edit = _tokens(edited, [3, 7], [0, 1, 0])
    diff = build_inline_diff(original, edited, [Hunk(4, 7, 4, 7)], orig, edit)
    assert [(p.kind, p.text) for p in diff.pieces] == [
        (SAME, "the"), (DELETED, " cat"), (INSERTED, " dog"), (SAME, " sat")]
    assert (diff.negative, diff.positive, diff.hunks) == (1, 1, 1)


def test_pure_deletion_and_insertion_keep_order_and_newlines():
    original, edited = "a\nb\nc", "a\nc\nd"
    # tokens: "a", "\n", "b", "\n", "c"  ->  "a", "\n", "c", "\n", "d"
    orig = _tokens(original, [1, 2, 3, 4], [0, 0, -1, -1, 0])
    edit = _tokens(edited, [1, 2, 3, 4], [0, 0, 0, 1, 1])
    hunks = [Hunk(2, 4, 2, 2), Hunk(5, 5, 3, 5)]
    diff = build_inline_diff(original, edited, hunks, orig, edit)
    assert "".join(p.text for p in diff.pieces if p.kind != DELETED) == edited
    assert "".join(p.text for p in diff.pieces if p.kind == DELETED) == "b\n"
    assert [p.kind for p in diff.pieces] == [SAME, SAME, DELETED, DELETED, SAME, INSERTED, INSERTED]
    html = render_pieces(diff)
    assert '<del class="tok" data-label="-1"><span class="nl" aria-hidden="true"></span>\n</del>' in html


def test_tokens_sharing_offsets_show_their_text_once():
    original, edited = "x", "x🙂"
    orig = TokenSide.of([(0, 1, 0)])
    edit = TokenSide.of([(0, 1, 0), (1, 2, 1), (1, 2, 1)])  # two byte tokens of one character
    diff = build_inline_diff(original, edited, [Hunk(1, 1, 1, 2)], orig, edit)
    assert [(p.kind, p.text) for p in diff.pieces] == [(SAME, "x"), (INSERTED, "🙂")]
    assert diff.positive == 2  # the counts are the labels, whatever the display merges


def test_without_tokens_the_word_hunks_are_shown():
    diff = build_inline_diff("one two", "one three", [Hunk(4, 7, 4, 9)])
    assert [(p.kind, p.text) for p in diff.pieces] == [(SAME, "one "), (DELETED, "two"), (INSERTED, "three")]
    assert diff.negative is None and diff.positive is None


def test_markup_in_texts_is_escaped():
    original, edited = "<b>", "<script>alert(1)</script>"
    diff = build_inline_diff(original, edited, [Hunk(0, 3, 0, len(edited))])
    html = str(render_pieces(diff))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


UNITS = ["the", "cat", "sat", "on", "mat", "déjà", "vu", "🙂", "x = 1", " ", " ", "  ", "\n", "\n\n", "    ",
         "-", "`", "```", ".", ",", "<b>", "&amp;"]
texts = st.lists(st.sampled_from(UNITS), max_size=25).map("".join)


@settings(max_examples=150, deadline=None)
@given(original=texts, edited=texts)
def test_the_stream_shows_exactly_the_labelled_tokens_of_the_real_alignment(original: str, edited: str) -> None:
    from app.config import Settings
    from training.alignment import align

    al = align(original, edited, cache_dir=Settings().model_cache_dir)
    orig = TokenSide(al.original_offsets, al.original_labels)
    edit = TokenSide(al.edited_offsets, al.edited_labels)
    diff = build_inline_diff(original, edited, al.hunks, orig, edit)
    # Leaving the struck pieces out gives the edit back, whitespace and newlines included.
    assert "".join(p.text for p in diff.pieces if p.kind != DELETED) == edited
    # The struck text is each run of -1 tokens of the original, in order.
    runs, current = [], []
    for (start, end), label in [*zip(orig.offsets, orig.labels, strict=True), ((0, 0), 0)]:
        if label < 0:
            current.append((start, end))
        elif current:
            runs.append(original[current[0][0]:current[-1][1]])
            current = []
    assert "".join(p.text for p in diff.pieces if p.kind == DELETED) == "".join(runs)
    # The underlined characters of the edit are exactly those of its +1 tokens.
    underlined, at = set(), 0
    for p in diff.pieces:
        if p.kind != DELETED:
            if p.kind == INSERTED:
                underlined.update(range(at, at + len(p.text)))
            at += len(p.text)
    assert underlined == {c for (a, b), label in zip(edit.offsets, edit.labels, strict=True) if label > 0
                          for c in range(a, b)}
    assert (diff.negative, diff.positive) == (al.stats.changed_tokens_original, al.stats.changed_tokens_edited)
