"""Reward-model losses as pure functions of rewards (or logits) and token labels.

Labels: -100 prompt or padding (ignored), -1 removed by the edit, +1 inserted by the edit, 0 unchanged.
Better sequences (edited or chosen) carry 0/+1 on their response tokens, worse ones (original) 0/-1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training.ops import IGNORE_INDEX, masked_mean, masked_sum
from training.targets import NEGATIVE_CLASS as NEGATIVE
from training.targets import NEUTRAL_CLASS as NEUTRAL
from training.targets import POSITIVE_CLASS as POSITIVE


def sequence_bt_loss(better_scores: torch.Tensor, worse_scores: torch.Tensor) -> torch.Tensor:
    """Bradley-Terry: mean of -log sigma(s_better - s_worse) over (B,) scores."""
    return -F.logsigmoid(better_scores - worse_scores).mean()


def token_bt_loss(
    better_rewards: torch.Tensor,
    better_labels: torch.Tensor,
    worse_rewards: torch.Tensor,
    worse_labels: torch.Tensor,
    neutral_penalty: float = 0.0,
) -> torch.Tensor:
    """-log sigma(sum of r over inserted tokens - sum of r over removed tokens), mean over the (B,) pairs.

    Rewards and labels are (B, T). `neutral_penalty` adds that weight times the mean squared reward of the
    unchanged response tokens of both sides, which pulls them towards 0 (their sum is not constrained
    by the pairwise term alone).
    """
    inserted = masked_sum(better_rewards, better_labels == 1, dim=1)  # (B,)
    removed = masked_sum(worse_rewards, worse_labels == -1, dim=1)  # (B,)
    loss = -F.logsigmoid(inserted - removed).mean()
    if neutral_penalty > 0:
        rewards = torch.cat([better_rewards, worse_rewards])  # (2B, T)
        neutral = torch.cat([better_labels, worse_labels]) == 0  # (2B, T)
        loss = loss + neutral_penalty * masked_mean(rewards.pow(2), neutral)
    return loss


def class_targets(labels: torch.Tensor, neutral_smoothing: float = 0.0) -> torch.Tensor:
    """(..., 3) target distribution per token: one-hot for -1 / +1, soft for 0 (smoothing split on both sides)."""
    targets = torch.zeros(*labels.shape, 3, dtype=torch.float32, device=labels.device)
    targets[..., NEGATIVE] = (labels == -1).float() + (labels == 0).float() * neutral_smoothing / 2
    targets[..., POSITIVE] = (labels == 1).float() + (labels == 0).float() * neutral_smoothing / 2
    targets[..., NEUTRAL] = (labels == 0).float() * (1 - neutral_smoothing)
    return targets


def token_weights(labels: torch.Tensor, neutral_weight: float) -> torch.Tensor:
    """(B, T) loss weight per token: 1 for changed tokens, `neutral_weight` for unchanged, 0 for ignored."""
    changed = (labels == 1) | (labels == -1)
    neutral = labels == 0
    return changed.float() + neutral.float() * neutral_weight


def token_class_loss(
    logits: torch.Tensor, labels: torch.Tensor, neutral_smoothing: float = 0.0, neutral_weight: float = 1.0
) -> torch.Tensor:
    """Weighted mean cross-entropy of (B, T, 3) logits against the soft per-token targets of (B, T) labels."""
    targets = class_targets(labels, neutral_smoothing)  # (B, T, 3)
    per_token = -(targets * F.log_softmax(logits.float(), dim=-1)).sum(dim=-1)  # (B, T)
    weights = token_weights(labels, neutral_weight)  # (B, T)
    return (per_token * weights).sum() / weights.sum().clamp(min=1e-8)


def class_rewards(logits: torch.Tensor) -> torch.Tensor:
    """(B, T) reward p(positive) - p(negative) from (B, T, 3) logits; one softmax, so rewards span [-1, 1]."""
    probs = torch.softmax(logits.float(), dim=-1)
    return probs[..., POSITIVE] - probs[..., NEGATIVE]


def token_regress_loss(rewards: torch.Tensor, labels: torch.Tensor, neutral_weight: float = 1.0) -> torch.Tensor:
    """Weighted mean squared error of (B, T) rewards against the labels -1 / 0 / +1."""
    target = labels.clamp(min=-1).float()  # -100 becomes -1 but carries weight 0
    weights = token_weights(labels, neutral_weight)  # (B, T)
    return ((rewards.float() - target).pow(2) * weights).sum() / weights.sum().clamp(min=1e-8)


def response_mask(labels: torch.Tensor) -> torch.Tensor:
    """(B, T) true on response tokens (every label but -100)."""
    return labels != IGNORE_INDEX
