"""Generalised advantage estimation and masked whitening over response tokens."""

import torch

from training.ops import masked_whiten


def whiten(values: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """Scale `values` (B, T) to unit variance over the tokens where `mask` is 1; zero mean when shift_mean.

    Masked-out entries come back as 0 so they never leak into a loss.
    """
    return masked_whiten(values, mask, shift_mean=shift_mean) * mask.to(values.dtype)


def compute_gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns, both (B, T), for rewards and values (B, T) over response tokens.

    `mask` (B, T) marks the valid tokens of each response, a prefix up to and including EOS; the
    value after the last valid token is 0 (the episode ends there).
    """
    mask = mask.to(values.dtype)
    rewards, values = rewards * mask, values * mask
    next_values = torch.cat([values[:, 1:], torch.zeros_like(values[:, :1])], dim=1)  # (B, T)
    deltas = rewards + gamma * next_values - values  # (B, T)
    advantages = torch.zeros_like(values)  # (B, T)
    running = torch.zeros_like(values[:, 0])  # (B,)
    for t in reversed(range(values.shape[1])):
        running = deltas[:, t] + gamma * lam * running
        advantages[:, t] = running
    advantages = advantages * mask
    returns = advantages + values  # (B, T)
    return advantages, returns
