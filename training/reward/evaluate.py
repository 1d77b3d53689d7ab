"""Evaluate reward models: pairwise accuracy on edit and original pairs, and token AUROC for token models.

A token model's sequence score is the sum of its token rewards over the response. Token AUROC separates
changed from unchanged response tokens: on the original side removed tokens should score lower (so the
score is -r_t), on the edited side inserted tokens higher (r_t); `token_auroc` pools both sides.

`python -m training.reward.evaluate CHECKPOINT [CHECKPOINT ...] --data EXPORT [--split all|validation]`
prints one column per checkpoint and writes the metrics as JSON with `--output`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from training.ops import binary_auroc
from training.reward.data import Pair, collate_pairs
from training.reward.losses import response_mask
from training.reward.model import TRAINING_CONFIG_FILE, RewardModel

METRIC_ORDER = ("kind", "loss", "trained_on", "edit_pair_accuracy", "original_pair_accuracy", "token_auroc", "token_auroc_removed",
                "token_auroc_inserted", "edit_pairs", "original_pairs")


@dataclass
class PairScores:
    """Scores of a set of pairs, and per-token rewards with their labels for the token AUROC."""

    better: list[float] = field(default_factory=list)
    worse: list[float] = field(default_factory=list)
    token_rewards: list[float] = field(default_factory=list)
    token_labels: list[int] = field(default_factory=list)
    token_better: list[bool] = field(default_factory=list)
    """Per token: whether it belongs to the better (edited) side."""

    def extend(self, other: PairScores) -> None:
        for name in ("better", "worse", "token_rewards", "token_labels", "token_better"):
            getattr(self, name).extend(getattr(other, name))


@torch.no_grad()
def score_pairs(model: RewardModel, pairs: list[Pair], batch_size: int, pad_id: int) -> PairScores:
    """Sequence scores of both sides of every pair, and the rewards of every response token."""
    device = next(model.parameters()).device
    scores = PairScores()
    was_training = model.training
    model.eval()
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        batch = {k: v.to(device) for k, v in collate_pairs(chunk, pad_id).items()}
        rewards = model.rewards_from_outputs(model(batch["input_ids"], batch["attention_mask"]))  # (2B, T)
        labels = batch["labels"]  # (2B, T)
        if model.kind == "token":
            sequence = (rewards * response_mask(labels)).sum(dim=1)  # (2B,)
        else:
            last = batch["attention_mask"].sum(dim=1) - 1  # right padding: last real token
            sequence = rewards.gather(1, last.unsqueeze(1)).squeeze(1)  # (2B,)
        count = len(chunk)
        scores.better.extend(sequence[:count].tolist())
        scores.worse.extend(sequence[count:].tolist())
        keep = response_mask(labels)  # (2B, T)
        side = torch.zeros_like(keep)
        side[:count] = True  # (2B, T): the better half of the batch
        scores.token_rewards.extend(rewards[keep].tolist())
        scores.token_labels.extend(labels[keep].tolist())
        scores.token_better.extend(side[keep].tolist())
    model.train(was_training)
    return scores


def pairwise_accuracy(better: list[float], worse: list[float]) -> float:
    """Share of pairs whose better side scores higher; a tie counts one half. NaN with no pairs."""
    if not better:
        return float("nan")
    wins = sum(1.0 if b > w else 0.5 if b == w else 0.0 for b, w in zip(better, worse, strict=True))
    return wins / len(better)


def token_aurocs(rewards: list[float], labels: list[int], better: list[bool]) -> dict[str, float]:
    """AUROC of changed vs unchanged response tokens on each side, and on both sides pooled.

    Original side: removed tokens should score below unchanged ones (score -r). Edited side: inserted
    tokens above unchanged ones (score r). Pooled: each token scored with its side's sign.
    """
    r, lab = torch.tensor(rewards, dtype=torch.float64), torch.tensor(labels)
    on_better = torch.tensor(better, dtype=torch.bool)
    signed = torch.where(on_better, r, -r)
    removed = binary_auroc(signed[~on_better], lab[~on_better] == -1)
    inserted = binary_auroc(signed[on_better], lab[on_better] == 1)
    pooled = binary_auroc(signed, lab != 0)
    return {"token_auroc": pooled, "token_auroc_removed": removed, "token_auroc_inserted": inserted}


def evaluate_model(
    model: RewardModel, edit_pairs: list[Pair], original_pairs: list[Pair], batch_size: int = 8,
    pad_id: int | None = None,
) -> dict[str, float]:
    """The evaluation metrics on held-out edit and original pairs."""
    pad = pad_id if pad_id is not None else (model.tokenizer.pad_token_id if model.tokenizer is not None else 0)
    edits = score_pairs(model, edit_pairs, batch_size, pad)
    originals = score_pairs(model, original_pairs, batch_size, pad)
    return summarize(edits, originals, model.kind)


def summarize(edits: PairScores, originals: PairScores, kind: str) -> dict[str, float]:
    """Accuracies (and token AUROCs for a token model) from the scores of edit and original pairs."""
    metrics = {
        "edit_pair_accuracy": pairwise_accuracy(edits.better, edits.worse),
        "original_pair_accuracy": pairwise_accuracy(originals.better, originals.worse),
        "edit_pairs": len(edits.better),
        "original_pairs": len(originals.better),
    }
    if kind == "token":
        metrics.update(token_aurocs(edits.token_rewards, edits.token_labels, edits.token_better))
    return metrics


def format_table(columns: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one row per metric, one column per model."""
    names = list(columns)
    keys = [k for k in METRIC_ORDER if any(k in m for m in columns.values())]
    keys += sorted({k for m in columns.values() for k in m} - set(keys))
    header = ["metric", *names]

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() and value > 1 else f"{value:.3f}"
        return str(value)

    rows = [header] + [[k, *(cell(columns[n].get(k)) for n in names)] for k in keys]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def evaluate_checkpoints(
    checkpoints: list[str], data_path: str, split: str = "all", batch_size: int = 8
) -> dict[str, dict[str, Any]]:
    """Metrics per checkpoint on an export: all its pairs, or the held-out split each run trained with."""
    from training.config_io import apply_mapping
    from training.reward.config import RewardModelConfig
    from training.reward.dataset import build_reward_data, eval_pairs_from
    from training.reward.export_file import read_export
    from training.reward.model import load_reward_model

    rows, info = read_export(data_path)  # a bad export fails before any model loads
    results: dict[str, dict[str, Any]] = {}
    for path in checkpoints:
        model = load_reward_model(path)
        run_config = Path(path) / TRAINING_CONFIG_FILE
        cfg = RewardModelConfig()
        if run_config.is_file():
            import yaml

            cfg = apply_mapping(cfg, yaml.safe_load(run_config.read_text(encoding="utf-8")) or {})
        if split == "validation":
            data = build_reward_data(rows, info, model.tokenizer, cfg.max_length, cfg.validation_fraction, cfg.seed)
            edits, originals = data.val_edits, data.val_original
        else:
            edits, originals = eval_pairs_from(rows, info, model.tokenizer, cfg.max_length)
        trained_on = cfg.pairs if model.kind == "sequence" else "edits"
        metrics: dict[str, Any] = {"kind": model.kind, "loss": model.loss, "trained_on": trained_on}
        metrics.update(evaluate_model(model, edits, originals, batch_size))
        results[str(path)] = metrics
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.reward.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="reward-model checkpoint folders")
    parser.add_argument("--data", required=True, help="token-labels export (JSONL or Parquet)")
    parser.add_argument("--split", choices=("all", "validation"), default="all",
                        help="all pairs, or the prompts each run held out (read from its config.yaml)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--output", help="write the metrics as JSON here")
    args = parser.parse_args(argv)
    try:
        results = evaluate_checkpoints(args.checkpoints, args.data, args.split, args.batch_size)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(results))
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
