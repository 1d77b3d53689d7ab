"""Character spans of sentences, words and numbers in a response, for the gold judge and the oracle editor."""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.replication.gold_rules import NUMBER_WORDS

WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
# A sentence ends at terminal punctuation (with closing quotes or brackets) before whitespace, or at a newline.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*]*(?=\s|$)|\n")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "vs", "approx", "u.s", "u.k", "fig", "no"}
_NUMBER = re.compile(r"(?:(?<![\w.,])[-−])?(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")
_OPERATORS = r"(?:[+\-−×xX*/÷]|plus|minus|times|multiplied by|divided by|over)"
_EQUATION = re.compile(
    rf"({_NUMBER.pattern})\s*({_OPERATORS})\s*({_NUMBER.pattern})\s*(?:=|equals|is|makes|gives)\s*({_NUMBER.pattern})",
    re.I,
)
TERMINAL = ".!?…:;)\"'”’*`"
LIST_MARKER = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s+")


@dataclass(frozen=True)
class Span:
    """A piece of the response: text[start:end]."""

    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[Span]:
    """Sentences and lines, stripped of surrounding whitespace, in order.

    A period does not end a sentence after an abbreviation ("e.g."), an initial ("J. K."), or a list
    number at the start of a line ("1. Boil the water").
    """
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() != "\n" and _is_false_end(text, start, match.start()):
            continue
        end = match.start() if match.group() == "\n" else match.end()
        _push(text, start, end, spans)
        start = match.end()
    _push(text, start, len(text), spans)
    return spans


def _is_false_end(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    before = text[start:dot]
    word = before.split()[-1] if before.split() else ""
    if word.lower().strip("(\"'") in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isupper():
        return True  # an initial
    line = before.rsplit("\n", 1)[-1]
    return line.strip().isdigit() and len(line.strip()) <= 3  # "1." list marker


def _push(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    offset = start + len(piece) - len(piece.lstrip())
    spans.append(Span(offset, offset + len(stripped), stripped))


def word_spans(text: str) -> list[Span]:
    """Words (letters and digits, with inner apostrophes, hyphens and decimal points)."""
    return [Span(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def parse_number(token: str) -> float:
    """The value of a numeral like '2,500', '-40' or '3.5'."""
    return float(token.replace(",", "").replace("−", "-"))


def number_spans(text: str) -> list[tuple[Span, float]]:
    """Numerals written in digits, with their values."""
    return [(Span(m.start(), m.end(), m.group()), parse_number(m.group())) for m in _NUMBER.finditer(text)]


def number_word_values(text: str) -> list[float]:
    """Values of number words ('eight') in the text."""
    return [float(NUMBER_WORDS[w.lower()]) for w in re.findall(r"[A-Za-z]+", text) if w.lower() in NUMBER_WORDS]


def true_equation_spans(text: str) -> list[tuple[int, int]]:
    """Spans of arithmetic statements that are correct ('17 × 23 = 391', '6 times 7 is 42')."""
    spans = []
    for m in _EQUATION.finditer(text):
        a, op, b, c = parse_number(m.group(1)), m.group(2).lower(), parse_number(m.group(3)), parse_number(m.group(4))
        result = _apply(a, op, b)
        if result is not None and same_number(result, c):
            spans.append((m.start(), m.end()))
    return spans


def _apply(a: float, op: str, b: float) -> float | None:
    if op in ("+", "plus"):
        return a + b
    if op in ("-", "−", "minus"):
        return a - b
    if op in ("×", "x", "*", "times", "multiplied by"):
        return a * b
    if op in ("/", "÷", "divided by", "over"):
        return a / b if b else None
    return None


def same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def is_list_marker(text: str, span: Span) -> bool:
    """A number that only numbers a list line ('2. Add salt', '3) Stir')."""
    line_start = text.rfind("\n", 0, span.start) + 1
    return not text[line_start:span.start].strip() and text[span.end:span.end + 1] in (".", ")")


def is_list_item(line: str) -> bool:
    return bool(LIST_MARKER.match(line))


def find_phrase(pattern: str, text: str, flags: int = re.I) -> list[Span]:
    """Occurrences of a phrase pattern that start and end on word boundaries."""
    regex = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", flags)
    return [Span(m.start(), m.end(), m.group()) for m in regex.finditer(text)]


def mentions(text: str, term: str, case_sensitive: bool = False) -> bool:
    """Whether a term occurs in the text as whole words."""
    return bool(find_phrase(re.escape(term), text, 0 if case_sensitive else re.I))
