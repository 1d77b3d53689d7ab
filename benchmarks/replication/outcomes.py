"""What the replication measures once the models are trained: win rates under the gold judge, and the
first PPO step whose (smoothed) gold score reaches a fixed target."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

PairJudge = Callable[[str, str, str], float]
ScoreFn = Callable[[str, str], float]


def win_rates(prompts: list[str], reference: list[str], policies: dict[str, list[str]], pair_judge: PairJudge,
              score: ScoreFn, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per policy: its win rate against the reference responses (AlpacaFarm convention: ties count half,
    with a bootstrap 95 % interval) and its mean gold score; the reference's mean gold score under 'reference'."""
    from training.evaluation.win_rate import summarize_win_rate

    results: dict[str, dict[str, Any]] = {}
    for name, responses in policies.items():
        probabilities = [float(pair_judge(p, a, b)) for p, a, b in zip(prompts, responses, reference, strict=True)]
        summary = dataclasses.asdict(summarize_win_rate(probabilities, seed=seed))
        summary["mean_gold_score"] = mean_score(prompts, responses, score)
        results[name] = summary
    results["reference"] = {"mean_gold_score": mean_score(prompts, reference, score), "n": len(prompts)}
    return results


def mean_score(prompts: list[str], responses: list[str], score: ScoreFn) -> float:
    return sum(float(score(p, r)) for p, r in zip(prompts, responses, strict=True)) / max(1, len(prompts))


def smoothed(values: list[float], window: int) -> list[float]:
    """Trailing mean over the last `window` values (fewer at the start)."""
    return [sum(values[max(0, i + 1 - window):i + 1]) / len(values[max(0, i + 1 - window):i + 1])
            for i in range(len(values))]


def gold_target(curves: list[list[float]], window: int, gain: float, fixed: float | None) -> float:
    """The fixed target if given, else the mean gold score of the first `window` steps of all curves + gain."""
    if fixed is not None:
        return fixed
    start = [v for curve in curves for v in curve[:window]]
    if not start:
        raise ValueError("no gold scores were logged; give PPO a gold judge (the replication sets one)")
    return sum(start) / len(start) + gain


def steps_to_target(steps: list[int], gold: list[float], target: float, window: int) -> int | None:
    """The first step whose trailing-mean gold score reaches the target; None when none does."""
    for step, value in zip(steps, smoothed(gold, window), strict=True):
        if value >= target:
            return step
    return None
