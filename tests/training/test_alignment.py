"""Golden cases of the edit alignment, with the bundled byte-level BPE and a WordPiece trained here."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from tests.training.alignment_fixtures import naive_labels, wordpiece_tokenizer
from training import alignment as alignment_module
from training.alignment import (
    Alignment,
    Hunk,
    align,
    align_many,
    apply_hunks,
    clear_original_cache,
    diff_hunks,
)
from training.text_units import unit_bounds, units
from training.tokenizers import TokenizerError, load_tokenizer

TOKENIZERS = ["bundled", "wordpiece"]


@pytest.fixture(params=TOKENIZERS)
def tokenizer(request: pytest.FixtureRequest):
    return load_tokenizer(None) if request.param == "bundled" else wordpiece_tokenizer()


def check_alignment(al: Alignment) -> None:
    """Everything the issue promises of any alignment."""
    assert apply_hunks(al.original, al.hunks, al.edited) == al.edited
    for h in al.hunks:
        assert h.orig_start <= h.orig_end and h.edit_start <= h.edit_end
        assert (h.orig_start, h.edit_start) != (h.orig_end, h.edit_end)  # never an empty hunk
    for prev, nxt in zip(al.hunks, al.hunks[1:], strict=False):
        assert prev.orig_end < nxt.orig_start and prev.edit_end < nxt.edit_start
    bounds_a, bounds_b = set(unit_bounds(units(al.original))), set(unit_bounds(units(al.edited)))
    for h in al.hunks:
        assert {h.orig_start, h.orig_end} <= bounds_a and {h.edit_start, h.edit_end} <= bounds_b
    offs_a = [(t.start, t.end) for t in al.original_tokens]
    offs_b = [(t.start, t.end) for t in al.edited_tokens]
    assert [t.label for t in al.original_tokens] == naive_labels(
        offs_a, [(h.orig_start, h.orig_end) for h in al.hunks], -1)
    assert [t.label for t in al.edited_tokens] == naive_labels(
        offs_b, [(h.edit_start, h.edit_end) for h in al.hunks], 1)
    for side, tokens in ((al.original, al.original_tokens), (al.edited, al.edited_tokens)):
        assert all(t.text == side[t.start:t.end] for t in tokens)
        assert all(0 <= t.start <= t.end <= len(side) for t in tokens)


GOLDEN = {
    "words": ("The cat sat on the mat.", "The black cat sat on a mat.", [(3, 3, 3, 9), (15, 18, 21, 22)]),
    "crlf": ("line one\r\nline two\r\n", "line one\r\nline 2\r\n", [(15, 18, 15, 16)]),
    "crlf_to_lf": ("a\r\nb", "a\nb", [(1, 3, 1, 2)]),
    "tab_added": ("x\ty", "x\t\ty", [(1, 2, 1, 3)]),
    "tab_separated": ("col1\tcol2\tcol3", "col1\tcolumn2\tcol3", [(5, 9, 5, 12)]),
    "zero_width_space": ("a\u200bb c", "a\u200bb d", [(4, 5, 4, 5)]),
    "zero_width_removed": ("foo\u200bbar", "foobar", [(0, 7, 0, 6)]),
    "zwnj_in_word": ("می\u200cخواهم بروم", "می\u200cخواهم بمانم", [(9, 13, 9, 14)]),
    "skin_tone": ("I like 👍🏽 a lot", "I like 👍🏿 a lot", [(7, 9, 7, 9)]),
    "zwj_family": ("👨\u200d👩\u200d👧 is here", "👨\u200d👩\u200d👦 is here", [(0, 5, 0, 5)]),
    "zwj_space_mark": ("a!\u200d \u0301 b", "c!\u200d \u0301 b", [(0, 1, 0, 1)]),
    "flags": ("🇫🇷🇩🇪", "🇫🇷🇮🇹", [(2, 4, 2, 4)]),
    "keycap": ("press 1️⃣ now", "press 2️⃣ now", [(6, 9, 6, 9)]),
    "combining_accent": ("cafe\u0301 au lait", "cafe au lait", [(0, 5, 0, 4)]),
    "combining_word": ("the cafe\u0301 is open", "the bar is open", [(4, 9, 4, 7)]),
    "arabic": ("مرحبا بالعالم", "مرحبا بالجميع", [(6, 13, 6, 13)]),
    "hebrew_rlm": ("שלום\u200f עולם", "שלום\u200f חבר", [(6, 10, 6, 9)]),
    "chinese": ("我喜欢猫。", "我喜欢狗。", [(3, 4, 3, 4)]),
    "japanese": ("今日は良い天気です。", "今日は悪い天気です。", [(3, 4, 3, 4)]),
    "thai": ("ฉันชอบแมว", "ฉันชอบหมา", [(6, 7, 6, 7), (8, 9, 8, 9)]),
    "korean": ("안녕하세요 세계", "안녕하세요 여러분", [(6, 8, 6, 9)]),
    "empty_to_text": ("", "new text", [(0, 0, 0, 8)]),
    "text_to_empty": ("old text", "", [(0, 8, 0, 0)]),
    "both_empty": ("", "", []),
    "identical": ("Nothing changes here.\n", "Nothing changes here.\n", []),
}


@pytest.mark.parametrize("case", GOLDEN, ids=list(GOLDEN))
def test_golden_hunks_and_labels(case: str, tokenizer) -> None:
    original, edited, expected = GOLDEN[case]
    al = align(original, edited, tokenizer)
    assert al.hunks == [Hunk(*h) for h in expected]
    check_alignment(al)
    if not expected:
        assert set(al.original_labels) <= {0} and set(al.edited_labels) <= {0}


def test_worked_example_with_bundled_tokenizer() -> None:
    al = align("The cat sat on the mat.", "The black cat sat on a mat.")
    assert [(t.text, t.label) for t in al.original_tokens] == [
        ("The", 0), (" cat", 0), (" sat", 0), (" on", 0), (" the", -1), (" mat", 0), (".", 0)]
    assert [(t.text, t.label) for t in al.edited_tokens] == [
        ("The", 0), (" black", 1), (" cat", 0), (" sat", 0), (" on", 0), (" a", 1), (" mat", 0), (".", 0)]
    s = al.stats
    assert (s.hunks, s.changed_chars_original, s.changed_chars_edited) == (2, 3, 7)
    assert (s.words_original, s.words_edited, s.changed_words_original, s.changed_words_edited) == (6, 7, 1, 2)
    assert (s.tokens_original, s.tokens_edited, s.changed_tokens_original, s.changed_tokens_edited) == (7, 8, 1, 2)
    assert s.edit_ratio == pytest.approx(10 / 50)


def test_insertion_before_a_word_keeps_the_next_leading_space_token_unchanged() -> None:
    # " black" inserted after "the", not "black " before "cat": the token " cat" stays 0.
    al = align("the cat", "the black cat")
    assert al.hunks == [Hunk(3, 3, 3, 9)]
    assert [t.label for t in al.edited_tokens] == [0, 1, 0]
    deleted = align("the black cat", "the cat")
    assert deleted.hunks == [Hunk(3, 9, 3, 3)]
    assert [t.label for t in deleted.original_tokens] == [0, -1, 0]
    assert [t.label for t in deleted.edited_tokens] == [0, 0]


def test_byte_level_tokens_that_split_a_character_follow_the_overlap_rule() -> None:
    al = align("I like 😀 emojis and 猫", "I like 😎 emojis and 狗")
    check_alignment(al)
    spans = [(t.start, t.end) for t in al.original_tokens]
    shared = [a for a, b in zip(spans, spans[1:], strict=False) if a[1] > b[0]]
    assert shared, "the bundled tokenizer should split these characters into several byte tokens"
    labelled = [t for t in al.original_tokens if t.label == -1]
    assert {t.text.strip() for t in labelled} <= {"😀", "猫"} and len(labelled) >= 3


def test_pure_insertion_strictly_inside_a_token_marks_it() -> None:
    # "..." is one token of the bundled tokenizer but three units: "!" lands strictly inside it.
    al = align("Wait... what", "Wait..!. what")
    check_alignment(al)
    assert al.hunks == [Hunk(6, 6, 6, 7)]
    assert [(t.text, t.label) for t in al.original_tokens] == [("Wait", 0), ("...", -1), (" what", 0)]
    # An insertion at a token boundary marks nothing in the original.
    at_boundary = align("Hello world.", "Hello world!.")
    assert at_boundary.hunks == [Hunk(11, 11, 11, 12)]
    assert set(at_boundary.original_labels) == {0}


def test_long_texts_work() -> None:
    rng = random.Random(0)
    vocabulary = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu, nu. xi".split(" ")
    original = " ".join(rng.choice(vocabulary) for _ in range(20_000))[:100_000]
    middle = original.index(" ", 50_000)
    head, _ = original.rsplit(" ", 1)
    edited = "Omega " + original[:middle] + " inserted words" + head[middle:] + " end."
    al = align(original, edited)
    check_alignment(al)
    assert al.hunks[:2] == [Hunk(0, 0, 0, 6), Hunk(middle, middle, middle + 6, middle + 21)]
    assert len(al.hunks) == 3 and al.hunks[2].orig_end == len(original)
    cjk = ("我喜欢猫和狗。今天天气很好。" * 7200)[:100_000]
    cjk_edited = "你" + cjk[1:60_000] + "鸟" + cjk[60_001:-1] + "！"
    al = align(cjk, cjk_edited, wordpiece_tokenizer())
    check_alignment(al)
    assert al.hunks == [Hunk(0, 1, 0, 1), Hunk(60_000, 60_001, 60_000, 60_001), Hunk(99_999, 100_000, 99_999, 100_000)]


def test_non_strings_raise_type_errors_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="original"):
        align(None, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="edited"):
        align("x", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="original"):
        diff_hunks(b"x", "y")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"pairs\[1\]\[1\] \(edited\)"):
        align_many([("a", "b"), ("a", None)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"pairs\[0\]"):
        align_many(["ab"])  # type: ignore[list-item]


def test_a_tokenizer_without_offsets_gets_a_clear_error() -> None:
    class SlowTokenizer:
        def encode(self, text: str) -> list[int]:
            return [len(text)]

    with pytest.raises(TokenizerError, match="no offset mapping"):
        align("a", "b", SlowTokenizer())


def test_align_many_equals_align_and_repeated_calls_use_the_cache() -> None:
    pairs = [(o, e) for o, e, _ in GOLDEN.values()]
    many = align_many(pairs)
    clear_original_cache()
    for (o, e), batch in zip(pairs, many, strict=True):
        cold, cached = align(o, e), align(o, e)
        for single in (cold, cached):
            assert single.hunks == batch.hunks
            assert list(single.original_ids) == list(batch.original_ids)
            assert list(single.edited_labels) == list(batch.edited_labels)
            assert list(single.original_labels) == list(batch.original_labels)
    assert len(alignment_module._original_cache) <= alignment_module.ORIGINAL_CACHE_ENTRIES


def test_original_cache_is_bounded() -> None:
    clear_original_cache()
    for k in range(alignment_module.ORIGINAL_CACHE_ENTRIES + 10):
        align(f"original number {k}", "edited")
    assert len(alignment_module._original_cache) == alignment_module.ORIGINAL_CACHE_ENTRIES
    clear_original_cache()


def test_to_dict_is_json_and_complete() -> None:
    al = align("The cat sat.", "The dog sat.")
    data = json.loads(json.dumps(al.to_dict()))
    assert data["hunks"] == [{"orig_start": 4, "orig_end": 7, "edit_start": 4, "edit_end": 7}]
    assert data["tokenizer"] == "smollm2-135m-instruct"
    assert [t["label"] for t in data["original_tokens"]] == [0, -1, 0, 0]
    assert set(data["original_tokens"][0]) == {"id", "text", "start", "end", "label"}
    assert data["stats"]["hunks"] == 1 and data["stats"]["changed_words_edited"] == 1


def test_importing_and_aligning_with_the_bundled_tokenizer_needs_no_torch() -> None:
    load_tokenizer(None)  # makes sure the converted tokenizer directory exists
    code = ("import sys; from training.alignment import align; al = align('a b', 'a c'); "
            "assert al.edited_labels, al; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
