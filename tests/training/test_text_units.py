"""The units of the diff: what counts as one unit, for each kind of text."""

import pytest

from training.text_units import common_prefix_length, common_suffix_length, is_word, units

CASES = {
    "latin words and spaces": ("héllo  wörld", ["héllo", "  ", "wörld"]),
    "punctuation is one mark each": ("Wait...what?!", ["Wait", ".", ".", ".", "what", "?", "!"]),
    "underscore splits": ("snake_case", ["snake", "_", "case"]),
    "digits": ("in 2024, 3.5", ["in", " ", "2024", ",", " ", "3", ".", "5"]),
    "whitespace runs": ("a\r\n\t b", ["a", "\r\n\t ", "b"]),
    "combining marks stay in the word": ("cafe\u0301 ok", ["cafe\u0301", " ", "ok"]),
    "devanagari signs stay in the word": ("नमस्ते दुनिया", ["नमस्ते", " ", "दुनिया"]),
    "zwnj inside a word": ("می\u200cخواهم", ["می\u200cخواهم"]),
    "zero-width space is a unit": ("zero\u200bwidth", ["zero", "\u200b", "width"]),
    "cjk one character each": ("我喜欢猫。", ["我", "喜", "欢", "猫", "。"]),
    "cjk next to latin": ("abc你好def", ["abc", "你", "好", "def"]),
    "kana": ("カタカナー", ["カ", "タ", "カ", "ナ", "ー"]),
    "thai keeps its marks": ("สวัสดี", ["ส", "วั", "ส", "ดี"]),
    "hangul is space-delimited": ("안녕하세요 세계", ["안녕하세요", " ", "세계"]),
    "emoji sequences": ("👨\u200d👩\u200d👧 👍🏽 🇫🇷🇩🇪 ❤️", ["👨\u200d👩\u200d👧", " ", "👍🏽", " ", "🇫🇷", "🇩🇪", " ", "❤️"]),
    "keycap": ("#️⃣", ["#️⃣"]),
    "empty": ("", []),
}


@pytest.mark.parametrize("name", CASES)
def test_units(name: str) -> None:
    text, expected = CASES[name]
    assert units(text) == expected
    assert "".join(units(text)) == text


def test_words_are_letter_digit_or_no_space_script_units() -> None:
    assert [is_word(u) for u in ["cat", "2024", "猫", " ", ".", "😀", "\u200b"]] == [
        True, True, True, False, False, False, False]


@pytest.mark.parametrize(("a", "b"), [("", ""), ("abc", "abd"), ("abc", "abc"), ("x", ""), ("same", "samer")])
def test_common_prefix_and_suffix(a: str, b: str) -> None:
    prefix = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    assert common_prefix_length(a, b) == prefix
    suffix = next((k for k in range(min(len(a), len(b))) if a[-1 - k] != b[-1 - k]), min(len(a), len(b)))
    assert common_suffix_length(a, b, len(a) + len(b)) == suffix
    assert common_suffix_length(a, b, 1) == min(suffix, 1)
