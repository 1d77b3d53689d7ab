"""A PNG of a reward-model run: training loss, and validation accuracy and token AUROC, over steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.reward.run_files import read_metrics

VALIDATION_CURVES = (
    ("edit_pair_accuracy", "edit pairs: accuracy"),
    ("original_pair_accuracy", "original pairs: accuracy"),
    ("token_auroc", "tokens: AUROC"),
)


def _smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average, so a noisy per-step loss still shows its trend."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_run(metrics_path: Path, png_path: Path, title: str = "") -> Path:
    """Draw the run's curves from its metrics.jsonl into `png_path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_path)
    train = [r for r in rows if r.get("split") == "train" and r.get("loss") is not None]
    val = [r for r in rows if r.get("split") == "validation"]
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(11, 4))
    if train:
        steps = [r["step"] for r in train]
        losses = [r["loss"] for r in train]
        ax_loss.plot(steps, losses, color="#bbb", linewidth=1, label="per step")
        ax_loss.plot(steps, _smooth(losses, max(1, len(losses) // 20)), color="#c0392b", label="moving average")
        ax_loss.legend(loc="upper right")
    if train and min(r["loss"] for r in train) > 0:
        ax_loss.set_yscale("log")  # losses near 0 and early spikes both stay readable
    ax_loss.set(title="training loss", xlabel="step", ylabel="loss")
    for key, label in VALIDATION_CURVES:
        points: list[tuple[Any, Any]] = [(r["step"], r[key]) for r in val if r.get(key) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax_val.plot(xs, ys, marker="o", label=label)
    ax_val.axhline(0.5, color="#999", linestyle="--", linewidth=1, label="chance")
    ax_val.set(title="validation", xlabel="step", ylim=(0.0, 1.02))
    ax_val.legend(loc="lower right")
    for ax in (ax_loss, ax_val):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
