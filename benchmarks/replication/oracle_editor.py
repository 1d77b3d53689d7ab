"""The oracle minimal editor: fixes exactly the spans the gold judge penalises, and nothing else.

It stands in for a human or Claude annotator who minimally edits the less-preferred response:
- wrong_fact: the span is replaced by the known answer;
- missing_answer: the prompt's answer sentence is inserted at the start (only when no wrong fact was
  replaced, since replacing one already gives the answer);
- filler, hedge, unsafe, repeat, too_long, unfinished: the span is deleted;
- too_short: left alone (no minimal edit can write the missing content).

Around each deletion the text is tidied where the cut was made, and only there: doubled spaces are
joined, a comma left before a full stop goes, and a sentence that now starts in lower case gets its
capital. A deletion that cuts a sentence short gets a full stop. The judge runs again after each round
of fixes (at most three rounds), so a fix that uncovers another defect (a cut that removed the only
answer) is fixed too; the best-scoring version is returned, so an edit never scores worse.

Entry point for configs: `edit_response(prompt, response) -> str` ('module:function').
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.replication.gold_judge import Judgement, Penalty, judge
from benchmarks.replication.prompt_records import PromptRecord, find_record

MAX_ROUNDS = 3
_DELETED = {"filler", "hedge", "unsafe", "repeat", "too_long", "unfinished"}
_UNFIXABLE = {"too_short"}


@dataclass(frozen=True)
class OracleEdit:
    """The edited response, the judgements before and after, and the penalties no edit could fix."""

    original: str
    edited: str
    before: Judgement
    after: Judgement
    unfixable: tuple[Penalty, ...]

    @property
    def changed(self) -> bool:
        return self.edited != self.original


def edit_response(prompt: str, response: str) -> str:
    """The minimally edited response (unchanged when the judge finds nothing to fix)."""
    return oracle_edit(prompt, response).edited


def oracle_edit(prompt: str, response: str, record: PromptRecord | None = None) -> OracleEdit:
    """Fix the penalised spans, re-judging after each round until nothing fixable is left."""
    record = record or find_record(prompt)
    before = judge(prompt, response, record)
    text, current = response, before
    best_text, best = response, before
    for _ in range(MAX_ROUNDS):
        fixable = [p for p in current.penalties if p.rule not in _UNFIXABLE]
        if not fixable:
            break
        edited = apply_fixes(text, fixable, record)
        if edited == text:
            break
        text, current = edited, judge(prompt, edited, record)
        if current.score > best.score:
            best_text, best = text, current  # a round may score worse until the next one repairs it
    unfixable = tuple(p for p in best.penalties if p.rule in _UNFIXABLE)
    return OracleEdit(original=response, edited=best_text, before=before, after=best, unfixable=unfixable)


def apply_fixes(text: str, penalties: list[Penalty], record: PromptRecord) -> str:
    """One round: every fixable penalty of one judgement applied, right to left so offsets hold."""
    fact = record.fact
    replaced_fact = any(p.rule == "wrong_fact" for p in penalties)
    operations: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for p in penalties:
        if p.rule == "wrong_fact" and fact is not None:
            operations.append((p.start, p.end, fact.answer))
        elif p.rule == "missing_answer" and fact is not None and not replaced_fact:
            operations.append((0, 0, fact.sentence))
        elif p.rule in _DELETED:
            operations.append((p.start, p.end, ""))
    for start, end, replacement in _merge(operations)[::-1]:
        text = _splice(text, start, end, replacement)
    return text.strip()


def _merge(operations: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Operations in order, overlapping deletions joined; a replacement inside a deletion is dropped."""
    merged: list[tuple[int, int, str]] = []
    # an insertion at a position sorts before a deletion there, so that (applied right to left) it lands last
    for start, end, replacement in sorted(operations, key=lambda o: (o[0], o[1] != o[0], -o[1])):
        if merged and start < merged[-1][1] and end > start:
            last_start, last_end, last_replacement = merged[-1]
            if last_replacement == "":
                merged[-1] = (last_start, max(last_end, end), "")
            elif replacement == "":
                merged[-1] = (last_start, max(last_end, end), "")
            continue
        merged.append((start, end, replacement))
    return merged


def _splice(text: str, start: int, end: int, replacement: str) -> str:
    """Put `replacement` in place of text[start:end], tidying the join."""
    left, right = text[:start], text[end:]
    if start == end == 0 and replacement:
        return replacement + ("\n\n" if right.startswith("\n") else " ") + right.lstrip(" ") if right else replacement
    if replacement:
        if _starts_sentence(left) and replacement[:1].islower():
            replacement = replacement[0].upper() + replacement[1:]
        return left + replacement + right
    return _join(left, right)


def _join(left: str, right: str) -> str:
    """Join the text around a deletion: one space at most, no stray comma, a capital at a sentence start."""
    left_trim, right_trim = left.rstrip(" \t"), right.lstrip(" \t")
    if left_trim.endswith(",") and (not right_trim or right_trim[0] in ".!?\n"):
        left_trim = left_trim[:-1]  # "Boil it, [I think]." -> "Boil it."
    if right_trim.startswith(",") and (not left_trim.strip() or left_trim.rstrip()[-1] in ".!?:\n"):
        right_trim = right_trim[1:].lstrip(" \t")  # "[Basically], it works" at a sentence start
    if not right_trim.strip():
        return _end_sentence(left_trim.rstrip())
    if left_trim.endswith("\n") and right_trim.startswith("\n"):
        right_trim = right_trim[1:]  # a removed line leaves no blank line behind
    if not left_trim or left_trim.endswith("\n") or right_trim.startswith("\n") or right_trim[0] in ",.;:!?)":
        joined_left = left_trim
    else:
        joined_left = left_trim + " "
    if _starts_sentence(joined_left) and right_trim[0].islower():
        right_trim = right_trim[0].upper() + right_trim[1:]
    return re.sub(r"\n{3,}", "\n\n", joined_left + right_trim)


def _starts_sentence(left: str) -> bool:
    stripped = left.rstrip(" \t")
    if not stripped.strip():
        return True
    if stripped.endswith("\n"):
        return True
    last_line = stripped.rsplit("\n", 1)[-1]
    if re.fullmatch(r"\s*(?:[-*•+]|\d+[.)])", last_line):
        return True  # right after a list marker
    return stripped[-1] in ".!?\"'”’)"


def _end_sentence(text: str) -> str:
    """A response cut mid-sentence ends with a full stop instead of a dangling comma or word."""
    if not text:
        return text
    last_line = text.rsplit("\n", 1)[-1]
    if re.match(r"\s*(?:[-*•+]|\d+[.)])\s", last_line) and len(last_line.split()) <= 9:
        return text  # a short list item needs no full stop
    if text[-1] in ",;:-—":
        text = text[:-1].rstrip()
    if text and text[-1] not in ".!?…)\"'”’*`":
        text += "."
    return text
