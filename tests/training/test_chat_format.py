"""The one prompt/response join and the label encoding built on it."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer
from tokenizers.processors import TemplateProcessing

from tests.training.alignment_fixtures import naive_labels, wordpiece_tokenizer
from training.alignment import align, diff_hunks
from training.chat_format import (
    CHAT_TEMPLATE,
    PLAIN,
    encode_edit_pair,
    encode_edit_pairs,
    encode_prompt_response,
    join_prompt_response,
)
from training.tokenizers import load_tokenizer

PROMPT = "Name a colour of the sky."
ORIGINAL = "The sky is green, and grass is blue."
EDITED = "The sky is blue, and grass is green!"


@pytest.fixture(scope="module")
def bundled():
    return load_tokenizer(None)


@pytest.fixture(scope="module")
def wordpiece_with_specials():
    """The WordPiece tokenizer with [CLS] ... [SEP] added around every text (zero-width special tokens)."""
    tok = Tokenizer.from_str(wordpiece_tokenizer().to_str())
    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))]
    )
    return load_tokenizer(tok)


def expected_labels(offsets, hunk_spans, value, start, end):
    """Reference: the overlap rule on shifted spans, -100 outside the response, spelled out naively."""
    labels = naive_labels(offsets, [(lo + start, hi + start) for lo, hi in hunk_spans], value)
    return [lab if (s < e and e > start and s < end) else -100 for (s, e), lab in zip(offsets, labels, strict=True)]


def test_chat_template_join_keeps_the_response_verbatim(bundled) -> None:
    joined = join_prompt_response(bundled, PROMPT, ORIGINAL)
    assert joined.method == CHAT_TEMPLATE
    assert joined.text[joined.response_start:joined.response_end] == ORIGINAL
    rendered = bundled.apply_chat_template(
        [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": ORIGINAL}], tokenize=False)
    assert joined.text == rendered
    assert joined.text.index(PROMPT) < joined.response_start


def test_plain_join_without_a_chat_template() -> None:
    tok = wordpiece_tokenizer()
    joined = join_prompt_response(tok, "Question:", "Answer.")
    assert (joined.method, joined.text, joined.response_start) == (PLAIN, "Question:\nAnswer.", 10)
    assert join_prompt_response(tok, "Question: ", "Answer.").text == "Question: Answer."
    assert join_prompt_response(tok, "", "Answer.").response_start == 0


@pytest.mark.parametrize("tokenizer_name", ["bundled", "wordpiece_with_specials"])
def test_edit_pair_labels_follow_the_overlap_rule_inside_the_response(tokenizer_name, request) -> None:
    tok = request.getfixturevalue(tokenizer_name)
    enc = encode_edit_pair(tok, PROMPT, ORIGINAL, EDITED)
    hunks = diff_hunks(ORIGINAL, EDITED)
    joined_o = join_prompt_response(tok, PROMPT, ORIGINAL)
    joined_e = join_prompt_response(tok, PROMPT, EDITED)
    assert enc["join"] == joined_o.method and enc["hunks"] == [list(h) for h in hunks]
    assert enc["original_labels"] == expected_labels(
        enc["original_offsets"], [(h.orig_start, h.orig_end) for h in hunks], -1,
        joined_o.response_start, joined_o.response_end)
    assert enc["edited_labels"] == expected_labels(
        enc["edited_offsets"], [(h.edit_start, h.edit_end) for h in hunks], 1,
        joined_e.response_start, joined_e.response_end)
    for side in ("original", "edited"):
        assert len(enc[f"{side}_input_ids"]) == len(enc[f"{side}_labels"]) == len(enc[f"{side}_offsets"])
        assert enc[f"{side}_labels"][0] == -100  # the prompt (or a special token) comes first
    assert -1 in enc["original_labels"] and 1 in enc["edited_labels"]
    assert enc["original_input_ids"] == tok(joined_o.text, add_special_tokens=joined_o.add_special_tokens)["input_ids"]


def test_special_tokens_without_characters_are_ignored(wordpiece_with_specials) -> None:
    enc = encode_edit_pair(wordpiece_with_specials, PROMPT, ORIGINAL, EDITED)
    cls_id = wordpiece_with_specials.convert_tokens_to_ids("[CLS]")
    sep_id = wordpiece_with_specials.convert_tokens_to_ids("[SEP]")
    assert enc["original_input_ids"][0] == cls_id and enc["original_input_ids"][-1] == sep_id
    assert enc["original_labels"][0] == enc["original_labels"][-1] == -100


def test_response_labels_match_the_alignment_of_the_response_alone(bundled) -> None:
    enc = encode_edit_pair(bundled, PROMPT, ORIGINAL, EDITED)
    al = align(ORIGINAL, EDITED, bundled)
    # ChatML puts the response after "assistant\n" and before "<|im_end|>": its tokens are the response's own.
    response_labels = [lab for lab in enc["edited_labels"] if lab != -100]
    assert response_labels == list(al.edited_labels)


def test_batch_encoding_equals_one_by_one_and_accepts_given_hunks(bundled) -> None:
    rows = [
        {"prompt": PROMPT, "original": ORIGINAL, "edited": EDITED},
        {"prompt": "Say hi.", "original": "Hello there", "edited": "Hello there"},
        {"prompt": "Empty?", "original": "", "edited": "Now something."},
        ("Tuple row.", "A b c.", "A c."),
    ]
    batch = encode_edit_pairs(bundled, rows)
    for row, got in zip(rows, batch, strict=True):
        prompt, original, edited = (row["prompt"], row["original"], row["edited"]) if isinstance(row, dict) else row
        assert got == encode_edit_pair(bundled, prompt, original, edited)
        alignment = align(original, edited, bundled)
        assert encode_edit_pair(bundled, prompt, original, edited, alignment) == got
        assert encode_edit_pairs(bundled, [{**dict(zip(("prompt", "original", "edited"), (prompt, original, edited), strict=True)),
                                            "hunks": got["hunks"]}])[0] == got
    unchanged = batch[1]
    assert set(unchanged["original_labels"]) <= {-100, 0} and set(unchanged["edited_labels"]) <= {-100, 0}
    assert set(batch[2]["original_labels"]) == {-100} and 1 in batch[2]["edited_labels"]


def test_wrong_hunks_and_rows_are_refused(bundled) -> None:
    with pytest.raises(ValueError, match="hunks"):
        encode_edit_pairs(bundled, [{"prompt": "p", "original": "a b", "edited": "a c", "hunks": [[0, 1, 0, 1]]}])
    with pytest.raises(TypeError, match=r"rows\[0\] edited"):
        encode_edit_pairs(bundled, [{"prompt": "p", "original": "a", "edited": None}])
    with pytest.raises(TypeError, match="rows"):
        encode_edit_pairs(bundled, ["just a string"])
    with pytest.raises(TypeError, match="response"):
        join_prompt_response(bundled, "p", 3)  # type: ignore[arg-type]


def test_prompt_response_mask_covers_exactly_the_response(bundled) -> None:
    ids, mask = encode_prompt_response(bundled, PROMPT, ORIGINAL)
    assert len(ids) == len(mask) and set(mask) == {0, 1}
    assert bundled.decode([i for i, m in zip(ids, mask, strict=True) if m]) == ORIGINAL
    first = mask.index(1)
    assert all(mask[first:first + sum(mask)])  # one contiguous run
    ids_empty, mask_empty = encode_prompt_response(bundled, PROMPT, "")
    assert sum(mask_empty) == 0 and len(ids_empty) > 0
