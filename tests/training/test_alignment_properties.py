"""Property tests of the edit alignment: random texts from tricky Unicode categories, random edits."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.training.alignment_fixtures import lcs_length, naive_labels, wordpiece_tokenizer
from training.alignment import align, align_many, apply_hunks, diff_hunks, overlap_labels
from training.text_units import _patterns, diff_window, unit_bounds, units
from training.token_splice import splice_tokens
from training.tokenizers import load_tokenizer, offsets_backend
from training.unit_diff import myers_groups, rapidfuzz_groups, slide_pure_groups

FRAGMENTS = [
    "the", "cat", "sat", "on", "mat", "running", "Ünïcödé", "naïve", "2024", "3.14", "a",
    " ", "  ", "\n", "\n\n", "\r\n", "\t", " \t ", "\u00a0", "\u3000",
    ".", ",", "!", "?", "...", "'", '"', "(", ")", "-", "_", "<|im_end|>",
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u200f",
    "😀", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "1️⃣", "❤️",
    "e\u0301", "cafe\u0301", "\u0301", "n\u0303o",
    "مرحبا", "שלום", "नमस्ते", "안녕",
    "我", "喜欢", "猫", "。", "今日は", "ฉันชอบ", "แมว",
]

fragment_lists = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=30)
texts = fragment_lists.map("".join)


@st.composite
def text_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """An original and an edit of it: fragments deleted, inserted or replaced, or a text of its own."""
    parts = draw(fragment_lists)
    if draw(st.integers(0, 9)) == 0:
        return "".join(parts), draw(texts)
    edited = list(parts)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(edited)))
        new = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)))
        if op == "insert":
            edited.insert(at, new)
        elif edited and at < len(edited):
            if op == "delete":
                del edited[at]
            else:
                edited[at] = new
    return "".join(parts), "".join(edited)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(original: str, edited: str, tokenizer: object) -> None:
    al = align(original, edited, tokenizer)
    # Applying the hunks reproduces the edited text; hunks are sorted, disjoint and never empty.
    assert apply_hunks(original, al.hunks, edited) == edited
    for h in al.hunks:
        assert (h.orig_start, h.edit_start) != (h.orig_end, h.edit_end)
    for prev, nxt in zip(al.hunks, al.hunks[1:], strict=False):
        assert prev.orig_end < nxt.orig_start and prev.edit_end < nxt.edit_start
    # Hunks begin and end on unit boundaries of both texts.
    ua, ub = units(original), units(edited)
    bounds_a, bounds_b = set(unit_bounds(ua)), set(unit_bounds(ub))
    for h in al.hunks:
        assert {h.orig_start, h.orig_end} <= bounds_a and {h.edit_start, h.edit_end} <= bounds_b
    # Minimal: the units inside hunks are exactly those outside a longest common subsequence.
    changed = sum(len(units(original[h.orig_start:h.orig_end])) + len(units(edited[h.edit_start:h.edit_end]))
                  for h in al.hunks)
    assert changed == len(ua) + len(ub) - 2 * lcs_length(ua, ub)
    # Labels follow the overlap rule, checked by a naive reference.
    assert list(al.original_labels) == naive_labels(
        list(al.original_offsets), [(h.orig_start, h.orig_end) for h in al.hunks], -1)
    assert list(al.edited_labels) == naive_labels(
        list(al.edited_offsets), [(h.edit_start, h.edit_end) for h in al.hunks], 1)
    if original == edited:
        assert al.hunks == [] and set(al.original_labels) <= {0} and set(al.edited_labels) <= {0}
    # The batch path, the cached path and the tokenizer-free diff agree.
    assert align(original, edited, tokenizer).hunks == al.hunks == diff_hunks(original, edited)
    (batch,) = align_many([(original, edited)], tokenizer)
    assert batch.hunks == al.hunks and list(batch.edited_labels) == list(al.edited_labels)
    assert list(batch.original_ids) == list(al.original_ids)
    assert list(batch.edited_ids) == list(al.edited_ids)  # align() splices the edit's tokens
    assert [tuple(o) for o in batch.edited_offsets] == [tuple(o) for o in al.edited_offsets]


@PROPERTY
@given(text_pairs())
def test_spliced_tokens_equal_a_full_encoding(pair: tuple[str, str]) -> None:
    original, edited = pair
    backend, _ = offsets_backend(None)
    enc = backend.encode(original, add_special_tokens=False)
    spliced = splice_tokens(backend, original, enc.ids, enc.offsets, [s for s, _ in enc.offsets], edited,
                            diff_hunks(original, edited))
    full = backend.encode(edited, add_special_tokens=False)
    if "<|im_end|>" in original or "<|im_end|>" in edited:
        assert spliced is None  # added-token text: not provably local, encoded whole
    else:
        assert spliced is not None and spliced == (full.ids, full.offsets)
    wordpiece = offsets_backend(wordpiece_tokenizer())[0]
    assert splice_tokens(wordpiece, original, [], [], [], edited, []) is None  # a normalizer: never spliced


@PROPERTY
@given(text_pairs())
def test_alignment_properties_with_the_bundled_tokenizer(pair: tuple[str, str]) -> None:
    _check(*pair, load_tokenizer(None))


@PROPERTY
@given(text_pairs())
def test_alignment_properties_with_a_wordpiece_tokenizer(pair: tuple[str, str]) -> None:
    _check(*pair, wordpiece_tokenizer())


@PROPERTY
@given(texts)
def test_identical_texts_give_no_hunks_and_neutral_labels(text: str) -> None:
    al = align(text, text)
    assert al.hunks == [] and set(al.original_labels) <= {0} and set(al.edited_labels) <= {0}
    assert len(al.original_tokens) == len(al.edited_tokens)


@PROPERTY
@given(texts)
def test_units_concatenate_back_and_the_fast_path_matches_the_full_pattern(text: str) -> None:
    parts = units(text)
    assert "".join(parts) == text and all(parts)
    assert parts == _patterns()[0].findall(text)


@PROPERTY
@given(text_pairs())
def test_diff_window_cuts_both_texts_at_shared_unit_boundaries(pair: tuple[str, str]) -> None:
    a, b = pair
    start, end_a, end_b = diff_window(a, b)
    assert a[:start] == b[:start] and a[end_a:] == b[end_b:]
    assert start <= end_a and start <= end_b
    for text, end in ((a, end_a), (b, end_b)):
        full = units(text)
        bounds = set(unit_bounds(full))
        assert start in bounds and end in bounds
        assert units(text[start:end]) == full[unit_bounds(full).index(start):unit_bounds(full).index(end)]


@st.composite
def offsets_and_spans(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Arbitrary token spans (overlapping, empty, in or out of order) and sorted, separated hunk spans
    (some of them points)."""
    pairs = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=12))
    offsets = [(min(p), max(p)) for p in pairs]
    if draw(st.booleans()):
        offsets.sort()
    cuts = sorted(set(draw(st.lists(st.integers(0, 40), max_size=10))))
    spans = []
    for k in range(0, len(cuts) - 1, 2):
        lo, hi = cuts[k], cuts[k + 1]
        spans.append((lo, lo) if draw(st.booleans()) else (lo, hi))
    return offsets, spans


@settings(max_examples=400, deadline=None)
@given(offsets_and_spans(), st.sampled_from([-1, 1]))
def test_overlap_labels_match_the_naive_rule_for_any_offsets(data, value: int) -> None:
    offsets, spans = data
    assert overlap_labels(offsets, spans, value) == naive_labels(offsets, spans, value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=25), st.lists(st.integers(0, 3), max_size=25))
def test_myers_and_rapidfuzz_find_equally_minimal_valid_alignments(a: list[int], b: list[int]) -> None:
    best = len(a) + len(b) - 2 * lcs_length(a, b)
    for groups in (myers_groups(a, b, 60), rapidfuzz_groups(a, b)):
        assert groups is not None
        assert sum(i2 - i1 + j2 - j1 for i1, i2, j1, j2 in groups) == best
        rebuilt, at = [], 0
        for i1, i2, j1, j2 in groups:
            assert a[at:i1] == b[j1 - (i1 - at):j1]  # what lies between groups is equal
            rebuilt += a[at:i1] + b[j1:j2]
            at = i2
        assert rebuilt + a[at:] == b
    assert myers_groups(a, b, best - 1) is None if best else True


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([" ", "a", "b", "\n"]), max_size=20),
       st.lists(st.sampled_from([" ", "a", "b", "\n"]), max_size=20))
def test_sliding_keeps_the_alignment_valid_and_minimal(a: list[str], b: list[str]) -> None:
    groups = rapidfuzz_groups(a, b)
    cost = sum(i2 - i1 + j2 - j1 for i1, i2, j1, j2 in groups)
    slide_pure_groups(groups, a, b)
    assert sum(i2 - i1 + j2 - j1 for i1, i2, j1, j2 in groups) == cost
    rebuilt, at = [], 0
    for i1, i2, j1, j2 in groups:
        assert a[at:i1] == b[j1 - (i1 - at):j1]
        rebuilt += a[at:i1] + b[j1:j2]
        at = i2
    assert rebuilt + a[at:] == b
    for prev, nxt in zip(groups, groups[1:], strict=False):
        assert prev[1] < nxt[0] and prev[3] < nxt[2]
