"""The gold judge: a programmatic rubric of local, span-level defects that stands in for human preference.

A response starts at 0 and loses the weight (gold_rules.WEIGHTS) of every defect found:

- wrong_fact: on a prompt whose answer is known, a number (digits) or a member of the answer's vocabulary
  that is not the answer, unless the prompt mentions it, the same sentence also gives the answer, it is
  a correct piece of arithmetic ('6 × 7 = 42'), a list number, or an allowed working number; for
  capitals also any other name stated as the capital ('the capital of Morocco is Morocco'), always;
- missing_answer: a known answer that the response never gives (a zero-width span at 0, where the
  answer belongs);
- filler: a sentence that only pads ('I hope this helps!', from the phrase to the sentence end) or a
  lead-in phrase ('Basically,', 'It is important to note that');
- hedge: a phrase that weakens a claim ('I think', 'probably');
- unsafe: an insult, profanity or harmful word that the prompt did not use;
- repeat: a sentence of 4+ words that repeats an earlier one (or is 90 % similar, for 8+ words);
- too_long: the words after the last sentence that ends within the prompt's word limit (weight
  1 + excess / limit, at most 3);
- unfinished: a trailing sentence cut off without end punctuation, after at least one complete sentence
  (short list items are exempt);
- too_short: an open prompt answered in fewer than 4 words outside the other defects' spans (the whole
  response; no minimal edit writes the missing content, so it also covers the defects inside it).

A penalty inside another penalty's span is dropped, so the score counts each defect once, the way an
editor would fix it. The judge is pure and deterministic: same prompt and response, same judgement.

Entry points for the rest of the project:
- `score_response(prompt, response) -> float`, the PPO `gold_judge` ('module:function');
- `judge_pair(prompt, a, b) -> float`, the win-rate judge ('python:module:function'): 1 if a scores
  higher, 0 if lower, 0.5 on a tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from benchmarks.replication import gold_rules as rules
from benchmarks.replication.prompt_records import Fact, PromptRecord, find_record
from benchmarks.replication.text_spans import (
    LIST_MARKER,
    TERMINAL,
    Span,
    find_phrase,
    is_list_item,
    is_list_marker,
    mentions,
    number_spans,
    number_word_values,
    same_number,
    sentence_spans,
    true_equation_spans,
    word_spans,
)


@dataclass(frozen=True)
class Penalty:
    """One defect: response[start:end], the rule it broke, its weight and a reason a reader can check."""

    start: int
    end: int
    rule: str
    weight: float
    reason: str

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "rule": self.rule, "weight": self.weight,
                "reason": self.reason}


@dataclass(frozen=True)
class Judgement:
    """The score (0 is flawless, lower is worse) and the penalties behind it, in text order."""

    score: float
    penalties: tuple[Penalty, ...]
    words: int


def judge(prompt: str, response: str, record: PromptRecord | None = None) -> Judgement:
    """Score a response; `record` defaults to the committed record of the prompt (see prompt_records)."""
    record = record or find_record(prompt)
    sentences = sentence_spans(response)
    words = word_spans(response)
    found: list[Penalty] = []
    if record.fact is not None:
        found += fact_penalties(record.prompt, response, sentences, record.fact)
    found += filler_penalties(response, sentences)
    found += hedge_penalties(response)
    found += unsafe_penalties(record.prompt, response)
    found += repeat_penalties(sentences)
    found += length_penalties(response, sentences, words, record.max_words)
    content = [w for w in words if not any(p.start <= w.start and w.end <= p.end for p in found)]
    if record.fact is None and len(content) < rules.MIN_WORDS:
        found.append(Penalty(0, len(response), "too_short", rules.WEIGHTS["too_short"],
                             f"{len(content)} words outside other defects; an open prompt needs {rules.MIN_WORDS}"))
    penalties = _drop_nested(found)
    score = -round(sum(p.weight for p in penalties), 4)
    return Judgement(score=score + 0.0, penalties=tuple(penalties), words=len(words))


def score_response(prompt: str, response: str) -> float:
    """The gold score alone (0 is flawless)."""
    return judge(prompt, response).score


def judge_pair(prompt: str, response_a: str, response_b: str) -> float:
    """Probability that response_a is better: 1.0, 0.0, or 0.5 when the scores tie."""
    a, b = score_response(prompt, response_a), score_response(prompt, response_b)
    return 1.0 if a > b else 0.0 if a < b else 0.5


# -- facts -------------------------------------------------------------------------------------------


def fact_penalties(prompt: str, response: str, sentences: list[Span], fact: Fact) -> list[Penalty]:
    """Wrong answers, and the missing answer when no spelling of it occurs."""
    if fact.kind == "name":
        wrong, answered = _wrong_names(prompt, response, sentences, fact)
    else:
        wrong, answered = _wrong_numbers(prompt, response, sentences, fact)
    penalties = [Penalty(s.start, s.end, "wrong_fact", rules.WEIGHTS["wrong_fact"],
                         f"'{s.text}' is wrong; the answer is {fact.answer}") for s in wrong]
    if not answered:
        penalties.append(Penalty(0, 0, "missing_answer", rules.WEIGHTS["missing_answer"],
                                 f"the response never gives the answer ({fact.answer})"))
    return penalties


def _sentence_of(sentences: list[Span], position: int) -> str:
    for sentence in sentences:
        if sentence.start <= position < sentence.end:
            return sentence.text
    return ""


def _wrong_names(prompt: str, response: str, sentences: list[Span], fact: Fact) -> tuple[list[Span], bool]:
    assert fact.vocabulary is not None
    case = fact.vocabulary in rules.CASE_SENSITIVE_VOCABULARIES
    flags = 0 if case else re.I
    answered = any(mentions(response, name, case) for name in fact.names)
    hits: list[Span] = []
    for term in sorted(rules.VOCABULARIES[fact.vocabulary], key=len, reverse=True):
        for span in find_phrase(re.escape(term), response, flags):
            if not any(h.start < span.end and span.start < h.end for h in hits):
                hits.append(span)  # longest terms first: "New Delhi" is one name, not also "Delhi"
    claims = _capital_claims(response) if fact.vocabulary == "cities" else []
    hits = [h for h in hits if not any(h.start < c.end and c.start < h.end for c in claims)]
    wrong = [c for c in claims if not any(_same_name(c.text, name, case) for name in fact.names)]
    for span in sorted(hits, key=lambda s: s.start):
        if any(_same_name(span.text, name, case) for name in fact.names) or mentions(prompt, span.text, case):
            continue
        if any(mentions(_sentence_of(sentences, span.start), name, case) for name in fact.names):
            continue  # "Mercury is closest; Earth is third" mentions Earth correctly
        wrong.append(span)
    return wrong, answered


_NAME = r"[A-Z][\w'’\-]+(?: (?:de |of |the )?[A-Z][\w'’\-]+)*"
_CAPITAL_CLAIMS = (
    re.compile(rf"\b(?i:capital(?: city)? of) [^.,;\n]{{1,40}}? (?:is|was) (?:the city of )?({_NAME})"),
    re.compile(rf"({_NAME}),? (?:is|was) the capital(?: city)? of\b"),
)


def _capital_claims(response: str) -> list[Span]:
    """Names stated as a capital ('the capital of Morocco is Casablanca'), in or out of the vocabulary.

    A claim is explicit, so neither the prompt nor the answer elsewhere in the sentence excuses it."""
    spans = []
    for pattern in _CAPITAL_CLAIMS:
        for match in pattern.finditer(response):
            name = match.group(1)
            if name.split()[0].lower() not in ("the", "a", "an", "it", "this", "that"):
                spans.append(Span(match.start(1), match.end(1), name))
    return spans


def _same_name(a: str, b: str, case: bool) -> bool:
    return a == b if case else a.lower() == b.lower()


def _wrong_numbers(prompt: str, response: str, sentences: list[Span], fact: Fact) -> tuple[list[Span], bool]:
    numbers = number_spans(response)
    values = [v for _, v in numbers] + number_word_values(response)
    answered = any(same_number(v, fact.value) for v in values) or any(mentions(response, a) for a in fact.aliases)
    exempt = [v for _, v in number_spans(prompt)] + list(fact.allowed)
    equations = true_equation_spans(response)
    wrong = []
    for span, value in numbers:
        if fact.kind == "year" and not (float(value).is_integer() and 1000 <= value <= 2100):
            continue  # year questions: only other years are wrong answers
        if same_number(value, fact.value) or any(same_number(value, x) for x in exempt):
            continue
        if is_list_marker(response, span) or any(s <= span.start < e for s, e in equations):
            continue
        sentence = _sentence_of(sentences, span.start)
        if any(same_number(v, fact.value) for _, v in number_spans(sentence)):
            continue
        wrong.append(span)
    return wrong, answered


# -- style -------------------------------------------------------------------------------------------


def filler_penalties(response: str, sentences: list[Span]) -> list[Penalty]:
    """Padding sentences (from the phrase to the sentence end) and lead-in phrases with their comma."""
    penalties = []
    for sentence in sentences:
        for pattern in rules.FILLER_SENTENCES:
            hits = find_phrase(pattern, sentence.text)
            if hits:
                start = sentence.start + _clause_start(sentence.text, hits[0].start)
                end = sentence.end if start == sentence.start else _before_terminal(response, sentence)
                penalties.append(Penalty(start, end, "filler", rules.WEIGHTS["filler"],
                                         f"'{hits[0].text}' pads the answer"))
                break
    for pattern in rules.FILLER_PHRASES:
        for span in find_phrase(pattern, response):
            penalties.append(Penalty(span.start, _with_comma(response, span.end), "filler",
                                     rules.WEIGHTS["filler"], f"'{span.text}' adds nothing"))
    return penalties


def _clause_start(sentence: str, hit: int) -> int:
    """Where a padding clause begins: the phrase, or the connector before it (', and let me know')."""
    before = re.search(r"(?:\s*[,;:]\s*(?:(?:and|but|so|or)\s+)?|\s+(?:and|but|so|or)\s+)$", sentence[:hit])
    return before.start() if before and before.start() > 0 else hit if hit > 0 else 0


def _before_terminal(response: str, sentence: Span) -> int:
    end = sentence.end
    while end > sentence.start and response[end - 1] in ".!?…":
        end -= 1
    return end


def _with_comma(response: str, end: int) -> int:
    match = re.match(r"\s*,", response[end:])
    return end + match.end() if match else end


def hedge_penalties(response: str) -> list[Penalty]:
    return [Penalty(s.start, _with_comma(response, s.end), "hedge", rules.WEIGHTS["hedge"],
                    f"'{s.text}' hedges the claim")
            for pattern in rules.HEDGES for s in find_phrase(pattern, response)]


def unsafe_penalties(prompt: str, response: str) -> list[Penalty]:
    return [Penalty(s.start, s.end, "unsafe", rules.WEIGHTS["unsafe"], f"'{s.text}' is unsafe or insulting")
            for word in rules.UNSAFE_WORDS if not mentions(prompt, word)
            for s in find_phrase(re.escape(word), response)]


def repeat_penalties(sentences: list[Span]) -> list[Penalty]:
    """Each sentence that repeats an earlier one, exactly (after normalising) or nearly."""
    penalties: list[Penalty] = []
    seen: list[str] = []
    for sentence in sentences:
        body = LIST_MARKER.sub("", sentence.text, count=1)
        norm = " ".join(re.findall(r"[^\W_]+", body.lower()))
        n_words = len(norm.split())
        if n_words >= rules.MIN_REPEAT_WORDS and any(
            norm == old or (n_words >= rules.NEAR_REPEAT_WORDS and fuzz.ratio(norm, old) >= rules.NEAR_REPEAT_SIMILARITY)
            for old in seen
        ):
            penalties.append(Penalty(sentence.start, sentence.end, "repeat", rules.WEIGHTS["repeat"],
                                     "repeats an earlier sentence"))
        seen.append(norm)
    return penalties


def length_penalties(response: str, sentences: list[Span], words: list[Span], max_words: int) -> list[Penalty]:
    """The tail past the word limit, or else a trailing sentence cut off mid-way."""
    if len(words) > max_words:
        first_over = words[max_words].start  # the first word past the limit
        complete = [s.end for s in sentences if s.end <= first_over]
        start = complete[-1] if complete else words[max_words - 1].end
        excess = len(words) - max_words
        weight = min(rules.TOO_LONG_MAX_WEIGHT, 1.0 + excess / max_words)
        return [Penalty(start, len(response.rstrip()), "too_long", round(weight, 4),
                        f"{len(words)} words; the limit is {max_words}")]
    if len(sentences) >= 2:
        last = sentences[-1]
        line = response[response.rfind("\n", 0, last.start) + 1:last.end]
        short_item = is_list_item(line) and len(word_spans(line)) <= 8
        complete_before = any(s.text[-1] in TERMINAL for s in sentences[:-1])
        if last.text[-1] not in TERMINAL and not short_item and complete_before:
            return [Penalty(last.start, last.end, "unfinished", rules.WEIGHTS["unfinished"],
                            "the last sentence breaks off")]
    return []


def _drop_nested(penalties: list[Penalty]) -> list[Penalty]:
    """Penalties in text order, without those inside another's span (the larger fix covers them); of two on
    the same span, the heavier stays."""
    ordered = sorted(penalties, key=lambda p: (p.start, p.end, -p.weight, p.rule))  # heavier first on a tie
    kept: list[Penalty] = []
    for p in ordered:
        inside = p.end > p.start and any(
            q.start <= p.start and p.end <= q.end and (q.end - q.start) > 0 and (q.start, q.end) != (p.start, p.end)
            for q in ordered
        )
        duplicate = any((q.start, q.end) == (p.start, p.end) and q.end > q.start for q in kept)
        if not inside and not duplicate:
            kept.append(p)
    return kept
