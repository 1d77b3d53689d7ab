"""Win rate of a policy against a reference: sample both on held-out prompts, judge each pair, bootstrap.

Run it with `python -m training.evaluation.win_rate --config FILE_OR_PRESET [--set key=value ...]
[--output-dir DIR]`, or call `evaluate_win_rate(config)`; the pieces (`generate_responses`,
`summarize_win_rate`) serve callers that bring their own responses or probabilities.
"""

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from training.evaluation.config import PRESETS, WinRateConfig
from training.evaluation.judges import Judge, load_judge

ProgressCallback = Callable[[dict[str, Any]], None]


@dataclass
class WinRate:
    """The outcome of n pairwise comparisons of policy against reference."""

    n: int
    wins: int
    ties: int
    losses: int
    win_rate: float
    """(wins + ties / 2) / n: the AlpacaFarm convention, so 0.5 means no difference."""
    tie_rate: float
    ci_low: float
    """2.5th percentile of the win rate over bootstrap resamples of the prompts."""
    ci_high: float
    """97.5th percentile."""
    mean_probability: float
    """Mean P(policy better) reported by the judge."""


def summarize_win_rate(
    probabilities: Sequence[float], tie_margin: float = 0.0, bootstrap_samples: int = 2000, seed: int = 0
) -> WinRate:
    """Wins, ties, losses and the bootstrap 95 % interval from per-prompt P(policy better)."""
    if not probabilities:
        raise ValueError("no comparisons to summarise; give at least one prompt")
    p = torch.tensor(probabilities, dtype=torch.float64)  # (N,)
    wins, losses = p > 0.5 + tie_margin, p < 0.5 - tie_margin
    outcome = wins.double() + 0.5 * (~wins & ~losses).double()  # (N,) 1 win, 0.5 tie, 0 loss
    generator = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(p), (bootstrap_samples, len(p)), generator=generator)  # (S, N)
    resampled = outcome[picks].mean(dim=1)  # (S,)
    low, high = torch.quantile(resampled, torch.tensor([0.025, 0.975], dtype=torch.float64)).tolist()
    n, n_wins, n_losses = len(p), int(wins.sum()), int(losses.sum())
    return WinRate(
        n=n, wins=n_wins, ties=n - n_wins - n_losses, losses=n_losses, win_rate=outcome.mean().item(),
        tie_rate=(n - n_wins - n_losses) / n, ci_low=low, ci_high=high, mean_probability=p.mean().item(),
    )


@torch.no_grad()
def generate_responses(
    model_spec: str, prompts: list[str], *, max_new_tokens: int = 64, temperature: float = 0.7,
    batch_size: int = 8, max_prompt_tokens: int = 128, seed: int = 0, device: str | torch.device | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """One response per prompt from a model ('tiny', 'bundled' or a checkpoint directory), in prompt order.

    temperature 0 decodes greedily. The seed is set once before the first batch, so two models sampled
    with the same seed see the same random stream.
    """
    from training.ppo.policy import load_causal_lm, load_policy_tokenizer
    from training.ppo.rollout import decode_responses, encode_prompts, sample_responses
    from training.reward.model import resolve_model_dir

    model_dir = resolve_model_dir(model_spec)
    tokenizer = load_policy_tokenizer(model_dir)
    model = load_causal_lm(model_dir).to(device or "cpu").eval()
    torch.manual_seed(seed)
    responses: list[str] = []
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start:start + batch_size]
        ids, mask = encode_prompts(tokenizer, batch, max_prompt_tokens)  # (b, P)
        rollout = sample_responses(model, tokenizer, ids.to(model.device), mask.to(model.device), max_new_tokens,
                                   temperature=temperature or 1.0, do_sample=temperature > 0)
        responses += decode_responses(tokenizer, rollout)
        if on_batch is not None:
            on_batch(len(batch))
    return responses


def evaluate_win_rate(config: WinRateConfig, on_progress: ProgressCallback | None = None,
                      judge: Judge | None = None) -> WinRate:
    """Sample both models, judge every pair (policy as a, reference as b), write the outputs, summarise.

    Writes win_rate.json (the summary and config), pairs.jsonl (prompt, both responses, P) and
    metrics.jsonl (a progress row per batch, then the result) under config.output_dir.
    """
    from training.ppo.prompts import load_prompts

    prompts = load_prompts(config.prompts)[: config.max_prompts]
    out_dir = Path(config.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    judge = judge or load_judge(config.judge, claude_model=config.judge_model, base_url=config.judge_base_url,
                                concurrency=config.judge_concurrency)
    progress = Progress(out_dir / "metrics.jsonl", total=3 * len(prompts), on_progress=on_progress)
    sampling: dict[str, Any] = {"max_new_tokens": config.max_new_tokens, "temperature": config.temperature,
                "batch_size": config.batch_size, "max_prompt_tokens": config.max_prompt_tokens, "seed": config.seed}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    policy = generate_responses(config.policy, prompts, device=device,
                                on_batch=lambda k: progress.advance(k, "policy"), **sampling)
    reference = generate_responses(config.reference, prompts, device=device,
                                   on_batch=lambda k: progress.advance(k, "reference"), **sampling)
    probabilities: list[float] = []
    for start in range(0, len(prompts), config.batch_size):
        end = start + config.batch_size
        probabilities += judge.compare(prompts[start:end], policy[start:end], reference[start:end])
        progress.advance(len(prompts[start:end]), "judge")
    result = summarize_win_rate(probabilities, config.tie_margin, config.bootstrap_samples, config.seed)
    with (out_dir / "pairs.jsonl").open("w", encoding="utf-8") as fh:
        for row in zip(prompts, policy, reference, probabilities, strict=True):
            fh.write(json.dumps(dict(zip(("prompt", "policy", "reference", "p_policy_better"), row, strict=True)))
                     + "\n")
    summary = {**dataclasses.asdict(result), "judge": judge.name, "config": dataclasses.asdict(config)}
    (out_dir / "win_rate.json").write_text(json.dumps(summary, indent=2) + "\n")
    progress.finish(dataclasses.asdict(result))
    return result


class Progress:
    """metrics.jsonl rows {step, total_steps, phase}, flushed as they come, so a job watcher can follow."""

    def __init__(self, path: Path, total: int, on_progress: ProgressCallback | None):
        self.file, self.total, self.step, self.on_progress = path.open("w", encoding="utf-8"), total, 0, on_progress

    def advance(self, count: int, phase: str, **extra: Any) -> None:
        self.step += count
        row = {"step": self.step, "total_steps": self.total, "phase": phase, **extra}
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        if self.on_progress is not None:
            self.on_progress(row)

    def finish(self, result: dict[str, Any]) -> None:
        self.advance(0, "done", **result)
        self.file.close()


def load_win_rate_config(spec: str, overrides: Sequence[str] = (), output_dir: str | None = None) -> WinRateConfig:
    """A WinRateConfig from a preset name or YAML/JSON file, `key=value` overrides, and an output directory."""
    from training.config_io import load_config

    config = load_config(WinRateConfig, spec, PRESETS, list(overrides))
    return dataclasses.replace(config, output_dir=output_dir) if output_dir else config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluation.win_rate",
                                     description="Win rate of a policy against a reference.")
    parser.add_argument("--config", required=True, help=f"preset ({', '.join(PRESETS)}) or YAML/JSON file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one field, e.g. --set judge=claude (repeatable)")
    parser.add_argument("--output-dir", default=None, help="where outputs go (overrides output_dir)")
    args = parser.parse_args(argv)
    try:
        result = evaluate_win_rate(load_win_rate_config(args.config, args.overrides, args.output_dir))
    except (ValueError, FileNotFoundError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_result(result))
    return 0


def format_result(result: WinRate) -> str:
    return (f"win rate {100 * result.win_rate:.1f} % (95 % CI {100 * result.ci_low:.1f} to "
            f"{100 * result.ci_high:.1f}) over {result.n} prompts: {result.wins} wins, {result.ties} ties, "
            f"{result.losses} losses")


if __name__ == "__main__":
    sys.exit(main())
