"""Reward-model scores for a rollout: r_t per response token and one score per response."""

from typing import Protocol

import torch

from training.ppo.config import PPOConfig
from training.ppo.rollout import Rollout


class RewardScorer(Protocol):
    """What PPO needs from a reward model (training.reward.model.load_reward_model returns one)."""

    kind: str
    tokenizer: object

    def score_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor: ...

    def score_sequences(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor | None = None
    ) -> torch.Tensor: ...


def load_scorers(config: PPOConfig, tokenizer: object, device: torch.device | None = None) -> dict[str, RewardScorer]:
    """The reward models the reward mode needs, keyed 'token' and/or 'sequence', checked against the policy."""
    from training.reward.model import load_reward_model

    paths = {"token": config.token_reward_model, "sequence": config.sequence_reward_model}
    scorers: dict[str, RewardScorer] = {}
    for kind in needed_kinds(config):
        path = paths[kind]
        if not path:
            raise ValueError(f"reward_mode {config.reward_mode!r} needs {kind}_reward_model; set it to a model directory")
        scorers[kind] = load_reward_model(path, device=device)
    check_scorers(scorers, tokenizer)
    return scorers


def needed_kinds(config: PPOConfig) -> list[str]:
    """'token' and/or 'sequence': the reward models the reward mode reads."""
    return [kind for kind, used in (("token", config.uses_token_rewards), ("sequence", config.uses_sequence_rewards))
            if used]


def needed_scorers(config: PPOConfig, scorers: dict[str, RewardScorer]) -> dict[str, RewardScorer]:
    """Only the scorers the reward mode reads; a missing one is an error that names it."""
    missing = [kind for kind in needed_kinds(config) if kind not in scorers]
    if missing:
        raise ValueError(f"reward_mode {config.reward_mode!r} needs a {missing[0]} reward model; none was given")
    return {kind: scorers[kind] for kind in needed_kinds(config)}


def check_scorers(scorers: dict[str, RewardScorer], tokenizer: object) -> None:
    """Token rewards need a token model, and every model must read the policy's token ids."""
    token = scorers.get("token")
    if token is not None and token.kind != "token":
        raise ValueError(f"token_reward_model is a {token.kind!r} model; token rewards need a 'token' model")
    vocab = tokenizer.get_vocab()  # type: ignore[attr-defined]
    for kind, scorer in scorers.items():
        if scorer.tokenizer.get_vocab() != vocab:  # type: ignore[attr-defined]
            raise ValueError(
                f"the {kind} reward model's tokenizer differs from the policy's; "
                "train it on the same base model so that it scores the policy's tokens"
            )


def right_padding_index(query_mask: torch.Tensor, total_length: int) -> torch.Tensor:
    """Gather index (B, T) that moves each row's left padding to its end."""
    left_pads = query_mask.shape[1] - query_mask.long().sum(dim=1)  # (B,)
    positions = torch.arange(total_length, device=query_mask.device)  # (T,)
    return (positions.unsqueeze(0) + left_pads.unsqueeze(1)) % total_length  # (B, T)


@torch.no_grad()
def score_rollout(
    scorers: dict[str, RewardScorer], rollout: Rollout
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """token_scores (B, R) from the token model and sequence_scores (B,) from the sequence model.

    Reward models see right-padded rows (prompt, response through EOS, then padding), as in training,
    so that position ids never depend on how much left padding a batch needed.
    """
    ids, mask = rollout.input_ids, rollout.attention_mask  # (B, T)
    batch, total = ids.shape
    prompt_length = rollout.query.shape[1]
    index = right_padding_index(rollout.query_mask, total)  # (B, T)
    ids_r, mask_r = ids.gather(1, index), mask.gather(1, index)  # (B, T)
    response_r = torch.zeros_like(mask)  # (B, T)
    response_r[:, prompt_length:] = rollout.response_mask
    response_r = response_r.gather(1, index)
    token_scores = sequence_scores = None
    if "token" in scorers:
        scores_r = scorers["token"].score_tokens(ids_r, mask_r).float()  # (B, T), right-padded
        scores = torch.zeros_like(scores_r).scatter_(1, index, scores_r)  # (B, T), back to left padding
        token_scores = scores[:, prompt_length:] * rollout.response_mask  # (B, R)
    if "sequence" in scorers:
        sequence_scores = scorers["sequence"].score_sequences(ids_r, mask_r, response_r).float()  # (B,)
    return token_scores, sequence_scores
