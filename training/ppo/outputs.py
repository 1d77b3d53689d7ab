"""What a PPO run leaves behind: config, provenance, metrics.jsonl (flushed per step) and PNG plots."""

import dataclasses
import importlib.metadata
import json
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from training.ppo.config import PPOConfig

PACKAGES = ("torch", "transformers", "accelerate", "peft", "tokenizers", "safetensors")
PLOTTED = (
    ("reward", "reward-model score"), ("gold_score", "gold score"), ("kl", "KL to reference"),
    ("entropy", "entropy / token"), ("value_loss", "value loss"), ("clip_fraction", "clip fraction"),
    ("response_length", "response length"), ("time_step", "seconds / step"),
)


def git_commit() -> str | None:
    """The commit of the code that ran, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def write_run_files(out_dir: Path, config: PPOConfig, model_dir: Path, num_processes: int) -> None:
    """config.json (every field) and provenance.json (inputs, seed, versions, commit)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    provenance = {
        "policy_model": str(model_dir), "reward_mode": config.reward_mode,
        "token_reward_model": config.token_reward_model, "sequence_reward_model": config.sequence_reward_model,
        "prompts": config.data_path, "gold_judge": config.gold_judge, "seed": config.seed,
        "num_processes": num_processes, "python": platform.python_version(), "packages": versions,
        "git_commit": git_commit(),
    }
    (out_dir / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")


class MetricsLog:
    """A JSONL file (metrics.jsonl: one object per step), flushed at once so that a watcher can tail it."""

    def __init__(self, path: Path):
        self.path = path
        self.file: IO[str] = path.open("w", encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def load_gold_judge(spec: str | None) -> Callable[[str, str], float] | None:
    """The gold scorer f(prompt, response) -> float from 'module:function', or None."""
    from training.evaluation.judges import import_function

    return import_function(spec) if spec else None


def plot_metrics(rows: list[dict[str, Any]], path: Path) -> Path:
    """One PNG with a panel per metric against the PPO step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    shown = [(key, title) for key, title in PLOTTED if any(row.get(key) is not None for row in rows)]
    columns = 4
    rows_n = max(1, -(-len(shown) // columns))
    fig, axes = plt.subplots(rows_n, columns, figsize=(4 * columns, 3 * rows_n), squeeze=False)
    for ax, (key, title) in zip(axes.flat, shown, strict=False):
        points = [(row["step"], row[key]) for row in rows if row.get(key) is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3)
        ax.set_title(title)
        ax.set_xlabel("PPO step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    mode = rows[0].get("reward_mode", "") if rows else ""
    fig.suptitle(f"PPO ({mode} rewards)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
