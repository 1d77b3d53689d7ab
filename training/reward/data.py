"""Training pairs for the reward models: edit pairs (edited beats original) and original pairs (chosen beats
rejected), split by prompt, truncated, and collated into padded batches.

A pair holds token ids and labels for its better and its worse sequence. Labels: -100 on prompt tokens
(ignored by every loss), and on response tokens -1 (removed by the edit), +1 (inserted) or 0 (unchanged).
Original pairs carry 0 on every response token: they say which response is better, not which tokens.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import torch

from training.ops import IGNORE_INDEX, pad_sequences
from training.reward.export_file import RewardDataError, row_name


@dataclass
class Pair:
    """One preference between two token sequences that share a prompt."""

    prompt: str
    """The prompt text: the unit of the train/validation split."""
    better_ids: list[int]
    better_labels: list[int]
    worse_ids: list[int]
    worse_labels: list[int]

    @property
    def tokens(self) -> int:
        return len(self.better_ids) + len(self.worse_ids)


def has_changes(pair: Pair) -> bool:
    """Whether the edit changed any response token (a 'no edit needed' row changes none)."""
    return any(x == 1 for x in pair.better_labels) or any(x == -1 for x in pair.worse_labels)


def export_edit_pairs(rows: list[dict[str, Any]]) -> list[Pair]:
    """Edit pairs from the ids and labels the export carries."""
    return [
        Pair(r["prompt"], list(r["edited_input_ids"]), list(r["edited_labels"]),
             list(r["original_input_ids"]), list(r["original_labels"]))
        for r in rows
    ]


def encode_edit_pairs_with(tokenizer: Any, rows: list[dict[str, Any]]) -> list[Pair]:
    """Edit pairs re-derived through the shared alignment for another tokenizer than the export's."""
    from training.chat_format import encode_edit_pairs

    # The stored hunks are the alignment the server made; re-deriving keeps it and only re-tokenizes.
    try:
        encoded = encode_edit_pairs(tokenizer, [
            {"prompt": r["prompt"], "original": r["rejected"], "edited": r["edited"], "hunks": r.get("hunks") or None}
            for r in rows
        ])
    except (TypeError, ValueError) as exc:
        raise RewardDataError(f"cannot re-derive token labels for this tokenizer: {exc}") from exc
    pairs = []
    for index, (row, enc) in enumerate(zip(rows, encoded, strict=True)):
        for side in ("original", "edited"):
            if len(enc[f"{side}_input_ids"]) != len(enc[f"{side}_labels"]):
                raise RewardDataError(f"{row_name(row, index)}: re-derived {side} labels do not align with their ids")
        pairs.append(Pair(row["prompt"], list(enc["edited_input_ids"]), list(enc["edited_labels"]),
                          list(enc["original_input_ids"]), list(enc["original_labels"])))
    return pairs


def original_pairs(tokenizer: Any, rows: list[dict[str, Any]]) -> list[Pair]:
    """Chosen-vs-rejected pairs, one per distinct (prompt, chosen, rejected), tokenized as prompt + response."""
    from training.chat_format import encode_prompt_response

    seen: set[tuple[str, str, str]] = set()
    pairs = []
    for row in rows:
        key = (row["prompt"], row["chosen"], row["rejected"])
        if key in seen or row["chosen"] == row["rejected"]:
            continue
        seen.add(key)
        sides = []
        for response in (row["chosen"], row["rejected"]):
            ids, response_mask = encode_prompt_response(tokenizer, row["prompt"], response)
            sides.append((list(ids), [0 if m else IGNORE_INDEX for m in response_mask]))
        pairs.append(Pair(row["prompt"], sides[0][0], sides[0][1], sides[1][0], sides[1][1]))
    return pairs


def truncate_pair(pair: Pair, max_length: int) -> Pair | None:
    """The pair cut to `max_length` tokens a side; None when a side keeps no response token."""
    cut = Pair(pair.prompt, pair.better_ids[:max_length], pair.better_labels[:max_length],
               pair.worse_ids[:max_length], pair.worse_labels[:max_length])
    if all(x == IGNORE_INDEX for x in cut.better_labels) or all(x == IGNORE_INDEX for x in cut.worse_labels):
        return None
    return cut


def validation_prompts(prompts: list[str], fraction: float, seed: int) -> set[str]:
    """A seeded, stable choice of ceil(fraction * n) distinct prompts (at least one training prompt is kept)."""
    distinct = sorted(set(prompts))
    if fraction <= 0 or len(distinct) < 2:
        return set()
    ranked = sorted(distinct, key=lambda p: hashlib.sha256(f"{seed}\0{p}".encode()).hexdigest())
    count = min(len(distinct) - 1, max(1, math.ceil(fraction * len(distinct))))
    return set(ranked[:count])


def split_by_prompt(pairs: list[Pair], held_out: set[str]) -> tuple[list[Pair], list[Pair]]:
    """(train, validation): every pair of a held-out prompt goes to validation, never some of them."""
    return [p for p in pairs if p.prompt not in held_out], [p for p in pairs if p.prompt in held_out]


def collate_pairs(pairs: list[Pair], pad_id: int) -> dict[str, torch.Tensor]:
    """One batch of 2B sequences: the B better ones first, then the B worse ones, right-padded.

    The attention mask comes from the lengths, never from the pad id (SmolLM2's pad token is its EOS).
    """
    ids = [p.better_ids for p in pairs] + [p.worse_ids for p in pairs]
    labels = [p.better_labels for p in pairs] + [p.worse_labels for p in pairs]
    input_ids = pad_sequences(ids, pad_id)  # (2B, T)
    width = input_ids.shape[1]
    attention_mask = pad_sequences([[1] * len(row) for row in ids], 0, width)  # (2B, T)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": pad_sequences(labels, IGNORE_INDEX, width),  # (2B, T)
    }
