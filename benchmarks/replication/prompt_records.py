"""Prompt records of the replication benchmark: the prompt, its length limit and, for facts, the known answer.

The gold judge and the oracle editor look records up by prompt text, so that they can be called with a
prompt alone (as win-rate and PPO judges are). Prompts not in the index get a default record: no known
answer, the default length limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from benchmarks.replication.gold_rules import DEFAULT_MAX_WORDS

DATA_DIR = Path(__file__).resolve().parent / "data"
PROMPT_FILES = ("prompts_train.jsonl", "prompts_heldout.jsonl", "prompts_demo.jsonl")
FACT_KINDS = ("name", "number", "year")
# The user turn of a ChatML-formatted prompt, for judges handed the templated text.
_CHATML_USER = re.compile(r"<\|im_start\|>user\n(.*?)<\|im_end\|>", re.S)


@dataclass(frozen=True)
class Fact:
    """The known answer to a fact prompt."""

    kind: str
    """'name' (a member of a vocabulary), 'number' (any number) or 'year' (a four-digit year)."""
    answer: str
    """The answer as the editor writes it ("Canberra", "391", "1969")."""
    sentence: str
    """A sentence stating the answer, which the editor inserts when a response never gives it."""
    aliases: tuple[str, ...] = ()
    """Other spellings that count as the answer ("Leonardo da Vinci", "da Vinci")."""
    vocabulary: str | None = None
    """For 'name' facts: the gold_rules.VOCABULARIES list whose other members are wrong answers."""
    allowed: tuple[float, ...] = ()
    """For 'number' facts: numbers a correct working may mention (conversion factors)."""

    def __post_init__(self) -> None:
        if self.kind not in FACT_KINDS:
            raise ValueError(f"fact kind {self.kind!r} is unknown; choose one of {', '.join(FACT_KINDS)}")
        if self.kind == "name" and not self.vocabulary:
            raise ValueError(f"name fact {self.answer!r} needs a vocabulary of wrong answers")
        if self.kind != "name":
            float(self.answer.replace(",", ""))  # raises ValueError on a non-numeric answer

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling that counts as the answer."""
        return (self.answer, *self.aliases)

    @property
    def value(self) -> float:
        """The numeric answer of a 'number' or 'year' fact."""
        return float(self.answer.replace(",", ""))


@dataclass(frozen=True)
class PromptRecord:
    """One prompt of the benchmark or the demo."""

    id: str
    """Stable id, e.g. 'train-0007'."""
    prompt: str
    """The user's message."""
    category: str
    """fact, howto, explanation, advice, writing or safety."""
    max_words: int = DEFAULT_MAX_WORDS
    """Length limit; the judge penalises words past it."""
    fact: Fact | None = None
    """The known answer, for fact prompts."""
    tags: tuple[str, ...] = field(default_factory=tuple)
    """Free labels (the fact table a prompt came from, 'safety-sensitive', ...)."""

    def to_json(self) -> dict:
        row = asdict(self)
        if self.fact is None:
            row.pop("fact")
        else:
            row["fact"] = {k: list(v) if isinstance(v, tuple) else v for k, v in row["fact"].items()
                           if v not in ((), None)}
        row["tags"] = list(self.tags)
        return row

    @classmethod
    def from_json(cls, row: dict) -> PromptRecord:
        fact = row.get("fact")
        return cls(
            id=row["id"], prompt=row["prompt"], category=row["category"],
            max_words=int(row.get("max_words", DEFAULT_MAX_WORDS)),
            fact=None if fact is None else Fact(
                kind=fact["kind"], answer=fact["answer"], sentence=fact["sentence"],
                aliases=tuple(fact.get("aliases", ())), vocabulary=fact.get("vocabulary"),
                allowed=tuple(float(x) for x in fact.get("allowed", ())),
            ),
            tags=tuple(row.get("tags", ())),
        )


def prompt_key(prompt: str) -> str:
    """The lookup key of a prompt: its user turn (when chat-formatted), whitespace collapsed, lower case."""
    match = _CHATML_USER.search(prompt)
    text = match.group(1) if match else prompt
    return " ".join(text.split()).lower()


def read_records(path: Path) -> list[PromptRecord]:
    """Records of one JSONL prompts file."""
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [PromptRecord.from_json(json.loads(line)) for line in rows]


def write_records(path: Path, records: list[PromptRecord]) -> None:
    """One JSON object per line, keys in a fixed order, so regenerated files diff cleanly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r.to_json(), ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def prompt_index() -> dict[str, PromptRecord]:
    """Every committed prompt record by prompt_key; files that do not exist yet are skipped."""
    index: dict[str, PromptRecord] = {}
    for name in PROMPT_FILES:
        path = DATA_DIR / name
        if path.is_file():
            for record in read_records(path):
                index[prompt_key(record.prompt)] = record
    return index


def find_record(prompt: str) -> PromptRecord:
    """The committed record of a prompt, or a default one (no known answer, default length limit)."""
    record = prompt_index().get(prompt_key(prompt))
    if record is not None:
        return record
    return PromptRecord(id="unknown", prompt=prompt, category="open")
