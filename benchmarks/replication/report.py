"""The replication's results table (markdown, in the form of the method's paper) and its gold-score plot."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

MODES = (("sequence", "PPO (sequence-level reward)"), ("token", "Fine-grained PPO (token-level reward)"))
POLICIES = (("sft", "SFT (initial policy)"), ("ppo", MODES[0][1]), ("fine_grained_ppo", MODES[1][1]))


def _values(results: dict[str, Any], *path: str) -> list[float]:
    out = []
    for seed_result in results["seeds"].values():
        node: Any = seed_result
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            out.append(float(node))
    return out


def _cell(values: list[float], percent: bool = False, digits: int = 3) -> str:
    if not values:
        return "–"
    scale = 100.0 if percent else 1.0
    mean = statistics.fmean(values) * scale
    text = f"{mean:.1f}" if percent else f"{mean:.{digits}f}"
    if len(values) > 1:
        spread = statistics.stdev(values) * scale
        text += f" ± {spread:.1f}" if percent else f" ± {spread:.{digits}f}"
    return text


def _steps_cell(results: dict[str, Any], mode: str) -> str:
    found = [s["steps_to_target"][mode] for s in results["seeds"].values()]
    reached = [s for s in found if s is not None]
    total = results["ppo_steps"]
    if not reached:
        return f"not reached in {total}"
    text = f"{statistics.fmean(reached):.1f}" if len(found) > 1 else str(reached[0])
    if len(reached) < len(found):
        text += f" ({len(reached)}/{len(found)} seeds; others not in {total})"
    return text


def _interval(results: dict[str, Any], policy: str) -> str:
    seeds = list(results["seeds"].values())
    if len(seeds) != 1:
        return ""
    win = seeds[0]["win_rates"][policy]
    return f" ({100 * win['ci_low']:.1f}–{100 * win['ci_high']:.1f})"


def render_table(results: dict[str, Any]) -> str:
    """Two markdown tables (reward models; policies) with means (± standard deviation over seeds)."""
    n_seeds = len(results["seeds"])
    data = results["data"]
    lines = [
        f"Seeds: {n_seeds} ({', '.join(results['seeds'])}); {data['train_pairs']} training pairs "
        f"({data['train_edited']} changed by the oracle editor), {data['heldout_pairs']} held-out pairs, "
        f"{data['heldout_prompts']} held-out prompts for the win rates. "
        + ("Mean ± standard deviation over seeds." if n_seeds > 1 else "One seed; 95 % bootstrap intervals in brackets."),
        "",
        "| Reward model | Trained on | Held-out pair accuracy (chosen vs rejected) | Held-out edit-pair accuracy "
        "(edited vs original) | Token AUROC |",
        "|---|---|---|---|---|",
        f"| Sequence-level (Bradley–Terry) | original pairs | "
        f"{_cell(_values(results, 'reward_models', 'sequence', 'original_pair_accuracy'), True)} | "
        f"{_cell(_values(results, 'reward_models', 'sequence', 'edit_pair_accuracy'), True)} | – |",
        f"| Token-level ({results['token_loss']}) | oracle minimal edits | "
        f"{_cell(_values(results, 'reward_models', 'token', 'original_pair_accuracy'), True)} | "
        f"{_cell(_values(results, 'reward_models', 'token', 'edit_pair_accuracy'), True)} | "
        f"{_cell(_values(results, 'reward_models', 'token', 'token_auroc'))} |",
        "",
        f"| Policy | Win rate vs SFT, gold judge (%) | Mean gold score, held-out | "
        f"PPO steps to gold ≥ {results['gold_target']:.2f} |",
        "|---|---|---|---|",
    ]
    for key, label in POLICIES:
        win = _cell(_values(results, "win_rates", key, "win_rate"), True) + _interval(results, key)
        gold = _cell(_values(results, "win_rates", key, "mean_gold_score"), digits=2)
        mode = {"ppo": "sequence", "fine_grained_ppo": "token"}.get(key)
        steps = _steps_cell(results, mode) if mode else "–"
        lines.append(f"| {label} | {win} | {gold} | {steps} |")
    return "\n".join(lines) + "\n"


def plot_gold(results: dict[str, Any], path: Path) -> Path:
    """Gold score of the PPO rollouts against step, both modes: each seed thin, the seed mean smoothed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.replication.outcomes import smoothed

    window = results["gold_smoothing"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (mode, label), colour in zip(MODES, ("tab:blue", "tab:red"), strict=True):
        curves = [s["ppo"][mode] for s in results["seeds"].values()]
        for curve in curves:
            ax.plot(curve["steps"], curve["gold"], color=colour, alpha=0.25, linewidth=0.8)
        length = min(len(c["gold"]) for c in curves)
        mean = [statistics.fmean(c["gold"][i] for c in curves) for i in range(length)]
        ax.plot(curves[0]["steps"][:length], smoothed(mean, window), color=colour, linewidth=2,
                label=f"{label} ({window}-step mean)")
    ax.axhline(results["gold_target"], color="grey", linestyle="--", linewidth=1, label="target")
    ax.set_xlabel("PPO step")
    ax.set_ylabel("gold score of rollouts (0 = no defects)")
    ax.set_title(f"Gold score during PPO ({len(results['seeds'])} seed(s), {results['model']})")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
