"""Word-level units of a text, the alphabet of the edit diff, and the window of two texts that can differ.

A unit is one of: a run of letters/digits of a space-delimited script (with its combining marks and
zero-width joiners), a run of whitespace, a single character of a script written without spaces
(CJK, kana, Thai, Lao, Khmer, Myanmar, Tibetan, Yi), or otherwise one character with what attaches to
it (combining marks, variation selectors, skin-tone modifiers, emoji ZWJ sequences, flag pairs):
a punctuation mark, an emoji, a zero-width character. The units of a text concatenate back to it.
"""

import re
import unicodedata
from functools import cache
from itertools import accumulate

# Unicode blocks of scripts written without spaces between words: each character is its own unit.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x1980, 0x19FF),  # New Tai Lue, Khmer symbols
    (0x1A20, 0x1AAF),  # Tai Tham
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),  # ideographic iteration mark, closing mark, number zero
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3038, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo extended, CJK strokes, Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA000, 0xA4CF),  # Yi
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x1B000, 0x1B16F),  # Kana supplement and extensions
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_REGIONAL_INDICATORS = r"\U0001F1E6-\U0001F1FF"
_EMOJI_MODIFIERS = r"\U0001F3FB-\U0001F3FF"
_TAGS = r"\U000E0020-\U000E007F"
_ZWNJ, _ZWJ = "\u200c", "\u200d"

# Whitespace, then a non-whitespace character: a unit boundary that no earlier text can move, since
# a whitespace run always ends a unit (unless a ZWJ glued the whitespace to an emoji sequence).
_STABLE_BOUNDARY = re.compile(r"(?<!\u200d)\s(?=\S)")
# Units of text made only of "plain" characters (none of the special classes below); the same pattern
# spelt out for ASCII, where explicit classes are faster ("\t-\r\x1c-\x1f " is what str.isspace accepts).
_PLAIN_UNIT = re.compile(r"[^\W_]+|\s+|.", re.S)
_ASCII_UNIT = re.compile(r"[A-Za-z0-9]+|[\t-\r\x1c-\x1f ]+|.", re.S)


def _char_class(ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> str:
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges
    )


def _mark_ranges() -> list[tuple[int, int]]:
    """Code point ranges of combining marks (Mn, Mc, Me); built once from unicodedata (about 15 ms)."""
    out: list[tuple[int, int]] = []
    for lo, hi in ((0x0300, 0x20000), (0xE0100, 0xE01F0)):
        start = None
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp))[0] == "M":
                if start is None:
                    start = cp
            elif start is not None:
                out.append((start, cp - 1))
                start = None
        if start is not None:
            out.append((start, hi - 1))
    return out


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(full unit pattern, finder of characters that need it); compiled on first use."""
    marks = _char_class(_mark_ranges())
    no_space = _char_class(_NO_SPACE_RANGES)
    letter = rf"[^\W_{no_space}]"
    attach = rf"[{marks}{_ZWJ}{_EMOJI_MODIFIERS}{_TAGS}]"
    full = re.compile(
        rf"{letter}+(?:[{marks}{_ZWNJ}{_ZWJ}]+{letter}*)*"  # word run, marks and joiners inside
        r"|\s+"
        rf"|[{_REGIONAL_INDICATORS}]{{2}}"  # a flag
        rf"|.(?:{attach}|(?<={_ZWJ}).)*",  # one character with what attaches to it
        re.S,
    )
    special = re.compile(
        rf"[{no_space}{marks}{_ZWNJ}{_ZWJ}{_REGIONAL_INDICATORS}{_EMOJI_MODIFIERS}{_TAGS}]"
    )
    return full, special


def units(text: str) -> list[str]:
    """The units of `text`, in order; `"".join(units(text)) == text`."""
    if text.isascii():
        return _ASCII_UNIT.findall(text)
    full, special = _patterns()
    if special.search(text) is not None:
        return full.findall(text)
    return _PLAIN_UNIT.findall(text)


def unit_bounds(parts: list[str], start: int = 0) -> list[int]:
    """Character offsets of the boundaries of consecutive units that begin at `start` (len(parts) + 1)."""
    return list(accumulate(map(len, parts), initial=start))


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def count_words(text: str) -> int:
    """How many units of `text` are words (see is_word)."""
    if text.isascii():
        return len(_ASCII_WORD.findall(text))
    return sum(1 for unit in units(text) if is_word(unit))


def is_word(unit: str) -> bool:
    """A unit that counts as a word: letters/digits, or a character of a script without spaces."""
    return unit[:1].isalnum()


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix, by binary search over slice comparisons (memcmp, not a loop)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix_length(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    lo, hi = 0, min(len(a), len(b), limit)
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def diff_window(a: str, b: str) -> tuple[int, int, int]:
    """(start, end_a, end_b): `a[:start] == b[:start]`, `a[end_a:] == b[end_b:]`, and all three are unit
    boundaries of both texts, so the units of the windows `a[start:end_a]` and `b[start:end_b]` are
    exactly the units the full texts have there. Diffing only the windows gives the same minimal diff."""
    prefix = common_prefix_length(a, b)
    start = 0
    # The last stable boundary strictly inside the common prefix: a[start] == b[start] is shared too.
    window_lo = max(0, prefix - 256)
    for lo in (window_lo, 0) if window_lo else (0,):
        last = None
        for match in _STABLE_BOUNDARY.finditer(a, lo, prefix):
            last = match
        if last is not None:
            start = last.end()
            break
    la, lb = len(a), len(b)
    suffix = common_suffix_length(a, b, min(la, lb) - prefix)
    end_a, end_b = la, lb
    if suffix >= 2:
        # The first stable boundary whose whitespace and the character before it lie in the common suffix.
        found = _STABLE_BOUNDARY.search(a, la - suffix + 1)
        if found is not None:
            end_a = found.end()
            end_b = end_a - la + lb
    return start, end_a, end_b
