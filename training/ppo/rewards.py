"""The per-token reward tensor of each reward mode: reward-model scores plus the KL penalty."""

import torch

from training.ops import last_token_index
from training.ppo.advantages import whiten
from training.ppo.config import PPOConfig


def estimate_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: str) -> torch.Tensor:
    """Per-token KL(policy || reference) estimate (B, T) from sampled-token log-probs (B, T).

    k1 = log p - log p_ref (unbiased, can be negative); k3 = r - 1 - log r with r = p_ref / p (never negative).
    """
    log_ratio = ref_logprobs - logprobs  # (B, T)
    if estimator == "k1":
        return -log_ratio
    if estimator == "k3":
        return torch.expm1(log_ratio) - log_ratio
    raise ValueError(f"kl_estimator {estimator!r} is unknown; choose 'k1' or 'k3'")


def build_rewards(
    config: PPOConfig,
    kl: torch.Tensor,
    mask: torch.Tensor,
    has_eos: torch.Tensor,
    token_scores: torch.Tensor | None = None,
    sequence_scores: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rewards (B, T) for PPO, and the reward-model part alone (B, T) for logging.

    kl (B, T) and mask (B, T) cover the response tokens; mask is a prefix ending on the EOS token (or on
    the last token when the response ran out of length: has_eos (B,) is False there). token_scores (B, T)
    are r_t per response token; sequence_scores (B,) go on the last valid token, never past it.
    """
    mask = mask.to(kl.dtype)
    batch = torch.arange(kl.shape[0], device=kl.device)  # (B,)
    last = last_token_index(mask)  # (B,) the EOS token itself when there is one
    clip = config.reward_clip
    scores = torch.zeros_like(kl)  # (B, T)
    if config.uses_token_rewards:
        if token_scores is None:
            raise ValueError(f"reward_mode {config.reward_mode!r} needs token_scores")
        token_scores = token_scores.to(kl.dtype)
        if clip is not None:
            token_scores = token_scores.clamp(-clip, clip)
        if config.center_token_rewards:
            token_scores = centered(token_scores, text_token_mask(mask, has_eos, last))
        scores = scores + config.token_reward_coef * token_scores * mask
    if config.uses_sequence_rewards:
        if sequence_scores is None:
            raise ValueError(f"reward_mode {config.reward_mode!r} needs sequence_scores")
        sequence_scores = sequence_scores.to(kl.dtype)
        if clip is not None:
            sequence_scores = sequence_scores.clamp(-clip, clip)
        scores[batch, last] += config.sequence_reward_coef * sequence_scores
    if config.missing_eos_penalty is not None:
        scores[batch, last] -= config.missing_eos_penalty * (~has_eos.bool()).to(kl.dtype)
    rewards = (scores - config.kl_coef * kl) * mask  # (B, T)
    if config.whiten_rewards:
        rewards = whiten(rewards, mask, shift_mean=False)
    return rewards, scores


def text_token_mask(mask: torch.Tensor, has_eos: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """The response mask (B, T) without the EOS token, which no token reward is learnt for."""
    text = mask.clone()
    rows = torch.nonzero(has_eos.bool(), as_tuple=True)[0]  # (E,)
    text[rows, last[rows]] = 0
    return text


def centered(token_scores: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """token_scores (B, T) minus their mean over the text tokens of the batch, zero elsewhere."""
    mean = (token_scores * text).sum() / text.sum().clamp(min=1)
    return (token_scores - mean) * text
