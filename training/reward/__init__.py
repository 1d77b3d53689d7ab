"""Reward models from minimal edits: token-level (r_t on every token) and sequence-level (Bradley-Terry).

`load_reward_model(path, device=None)` is the entry point for code that scores with a trained model;
see training.reward.model for the API it returns. It is imported on first use, so that reading the
config (training.reward.config, as the web app does to validate jobs) never imports torch.
"""

from typing import Any

__all__ = ["RewardModel", "load_reward_model"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from training.reward import model

        return getattr(model, name)
    raise AttributeError(f"module 'training.reward' has no attribute {name!r}")
