"""Reward models from minimal edits: token-level (r_t on every token) and sequence-level (Bradley-Terry).

`load_reward_model(path, device=None)` is the entry point for code that scores with a trained model;
see training.reward.model for the API it returns.
"""

from training.reward.model import RewardModel, load_reward_model

__all__ = ["RewardModel", "load_reward_model"]
