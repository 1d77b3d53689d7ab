"""Win-rate evaluation settings: one dataclass with a line of doc per field, and named presets."""

from dataclasses import dataclass, replace


@dataclass
class WinRateConfig:
    """Which two models to compare, on which prompts, under which judge."""

    policy: str = "bundled"
    """The model under test: a checkpoint directory (a PPO run's output_dir/checkpoint), 'tiny' or 'bundled'."""
    reference: str = "bundled"
    """The model it is compared with, usually the initial (SFT) policy."""
    prompts: str | None = None
    """Held-out prompts: JSONL or Parquet rows with a 'prompt' field; None: the small built-in list."""
    judge: str = "claude"
    """'claude', 'reward-model:PATH' or 'python:module:function' with f(prompt, a, b) -> P(a better)."""
    judge_model: str = "claude-sonnet-4-5"
    """Claude model name for the 'claude' judge."""
    judge_base_url: str | None = None
    """Anthropic-compatible endpoint; None: the SDK's default (ANTHROPIC_BASE_URL, else the public API)."""
    judge_concurrency: int = 4
    """Claude requests in flight at once."""
    max_prompts: int | None = None
    """Evaluate only the first N prompts; None: all of them."""
    max_prompt_tokens: int = 128
    """Prompts longer than this (after the chat template) are cut from the left."""
    max_new_tokens: int = 64
    """Response length limit for both models."""
    temperature: float = 0.7
    """Sampling temperature for both models; 0 decodes greedily."""
    batch_size: int = 8
    """Prompts per generation batch."""
    tie_margin: float = 0.0
    """A pair with |P(policy better) - 0.5| <= tie_margin counts as a tie."""
    bootstrap_samples: int = 2000
    """Resamples of the prompts for the 95 % interval."""
    seed: int = 0
    """Seed for sampling and the bootstrap."""
    output_dir: str = "var/win-rate"
    """Where win_rate.json, pairs.jsonl and metrics.jsonl go."""

    def __post_init__(self) -> None:
        if not (self.judge == "claude" or self.judge.startswith(("reward-model:", "python:"))):
            raise ValueError(
                f"judge {self.judge!r} is unknown; use 'claude', 'reward-model:PATH' or 'python:module:function'"
            )
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0 (0 decodes greedily)")
        for name in ("max_new_tokens", "max_prompt_tokens", "batch_size", "bootstrap_samples", "judge_concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_prompts is not None and self.max_prompts < 1:
            raise ValueError("max_prompts must be at least 1, or None for every prompt")
        if not 0 <= self.tie_margin < 0.5:
            raise ValueError("tie_margin must be in [0, 0.5)")


PRESETS: dict[str, WinRateConfig] = {
    # seconds on a CPU: tiny models, built-in prompts, a transparent length judge; smoke runs only
    "cpu-tiny": WinRateConfig(
        policy="tiny", reference="tiny", judge="python:training.evaluation.judges:prefer_shorter",
        max_new_tokens=8, max_prompt_tokens=32, bootstrap_samples=200, output_dir="var/win-rate-tiny",
    ),
    "smollm2-cpu": WinRateConfig(policy="bundled", reference="bundled", max_new_tokens=64),
    "gpu": WinRateConfig(policy="bundled", reference="bundled", max_new_tokens=256, batch_size=32),
}


def preset(name: str) -> WinRateConfig:
    """A fresh copy of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown win-rate preset {name!r}; choose one of {', '.join(PRESETS)}")
    return replace(PRESETS[name])
