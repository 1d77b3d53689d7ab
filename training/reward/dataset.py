"""Build what a run needs from an export and a tokenizer: training pairs and held-out edit and original pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.reward.data import (
    Pair,
    encode_edit_pairs_with,
    export_edit_pairs,
    has_changes,
    original_pairs,
    split_by_prompt,
    truncate_pair,
    validation_prompts,
)
from training.reward.export_file import ExportInfo, RewardDataError, read_export


@dataclass
class RewardData:
    """Pairs for training and validation, and where they came from."""

    train: list[Pair]
    """What the model learns from: edit pairs, or original pairs for a sequence model with pairs='original'."""
    val_edits: list[Pair]
    """Held-out edit pairs (edited vs original, with token labels)."""
    val_original: list[Pair]
    """Held-out original pairs (chosen vs rejected)."""
    export: ExportInfo
    stats: dict[str, Any] = field(default_factory=dict)
    """Counts recorded with the run: rows, pairs kept and dropped, whether ids were re-derived."""


def tokenizer_identity(tokenizer: Any) -> tuple[str, str]:
    """(name, hash) of a tokenizer, as the export records them."""
    from training.tokenizers import tokenizer_hash, tokenizer_name

    return tokenizer_name(tokenizer), tokenizer_hash(tokenizer)


def edit_pairs_for(tokenizer: Any, rows: list[dict[str, Any]]) -> tuple[list[Pair], bool]:
    """Edit pairs in the tokenizer's ids: the export's own when its hash matches, else re-derived."""
    _, digest = tokenizer_identity(tokenizer)
    if rows[0].get("tokenizer_hash") == digest:
        return export_edit_pairs(rows), False
    return encode_edit_pairs_with(tokenizer, rows), True


def _cut(pairs: list[Pair], max_length: int) -> list[Pair]:
    return [c for c in (truncate_pair(p, max_length) for p in pairs) if c is not None]


def load_reward_data(
    data_path: str,
    tokenizer: Any,
    max_length: int,
    validation_fraction: float,
    seed: int,
    train_on: str = "edits",
) -> RewardData:
    """`build_reward_data` on the checked rows of the export at `data_path`."""
    rows, info = read_export(data_path)
    return build_reward_data(rows, info, tokenizer, max_length, validation_fraction, seed, train_on)


def build_reward_data(
    rows: list[dict[str, Any]],
    info: ExportInfo,
    tokenizer: Any,
    max_length: int,
    validation_fraction: float,
    seed: int,
    train_on: str = "edits",
) -> RewardData:
    """Encode checked export rows for `tokenizer`, split them by prompt and cut them to `max_length`.

    `train_on` is 'edits' or 'original'; the held-out prompts are the same whichever it is, so the edit and
    the original pairs of one prompt are always on the same side of the split.
    """
    data_path = info.path
    edits, rederived = edit_pairs_for(tokenizer, rows)
    changed = [p for p in edits if has_changes(p)]
    if not changed:
        raise RewardDataError(
            f"the export has no edits: none of the {len(rows)} rows of {data_path} changes a token "
            "(every row is 'no edit needed'); annotate some edits and export again"
        )
    held_out = validation_prompts([p.prompt for p in changed], validation_fraction, seed)
    originals = original_pairs(tokenizer, rows)
    train_edits, val_edits = split_by_prompt(changed, held_out)
    train_original, val_original = split_by_prompt(originals, held_out)
    train = _cut(train_original if train_on == "original" else train_edits, max_length)
    if not train:
        raise RewardDataError(
            f"no training pairs left from {data_path} after the split and cutting to max_length={max_length}; "
            "raise max_length or lower validation_fraction"
        )
    stats = {
        "rows": len(rows),
        "edit_pairs": len(changed),
        "rows_without_changes": len(edits) - len(changed),
        "original_pairs": len(originals),
        "train_pairs": len(train),
        "validation_prompts": len(held_out),
        "rederived_labels": rederived,
        "export_tokenizer_hash": rows[0].get("tokenizer_hash"),
    }
    return RewardData(train, _cut(val_edits, max_length), _cut(val_original, max_length), info, stats)


def load_eval_pairs(data_path: str, tokenizer: Any, max_length: int) -> tuple[list[Pair], list[Pair], ExportInfo]:
    """Every changed edit pair and every original pair of an export, for evaluating a trained model."""
    rows, info = read_export(data_path)
    return (*eval_pairs_from(rows, info, tokenizer, max_length), info)


def eval_pairs_from(
    rows: list[dict[str, Any]], info: ExportInfo, tokenizer: Any, max_length: int
) -> tuple[list[Pair], list[Pair]]:
    """(edit pairs that change a token, original pairs) of checked export rows, cut to `max_length`."""
    edits, _ = edit_pairs_for(tokenizer, rows)
    changed = [p for p in edits if has_changes(p)]
    if not changed:
        raise RewardDataError(f"the export has no edits: no row of {info.path} changes a token")
    return _cut(changed, max_length), _cut(original_pairs(tokenizer, rows), max_length)
