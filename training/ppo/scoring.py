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


def reward_model_batch(
    rollout: Rollout, tail_ids: list[int], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The rollout as the reward models were trained on it: prompt, response text, template tail.

    Returns right-padded ids, attention mask and response mask (B, T'), and the start (B,) of each
    response. The sampled EOS is replaced by the template's tail (for ChatML "<|im_end|>\n", which holds
    that EOS), so a sequence model reads its score where it learnt to; a response cut off without EOS
    gets the same tail.
    """
    from training.ops import pad_sequences

    rows, masks, starts = [], [], []
    text_lengths = (rollout.response_mask.sum(dim=1) - rollout.has_eos.long()).tolist()  # (B,)
    for b, n_text in enumerate(text_lengths):
        prompt = rollout.query[b][rollout.query_mask[b].bool()].tolist()
        rows.append(prompt + rollout.response[b, :n_text].tolist() + tail_ids)
        masks.append([0] * len(prompt) + [1] * n_text + [0] * len(tail_ids))
        starts.append(len(prompt))
    device = rollout.query.device
    ids = pad_sequences(rows, pad_id).to(device)  # (B, T')
    attention = pad_sequences([[1] * len(r) for r in rows], 0).to(device)  # (B, T')
    response = pad_sequences(masks, 0).to(device)  # (B, T')
    return ids, attention, response, torch.tensor(starts, device=device)


@torch.no_grad()
def score_rollout(
    scorers: dict[str, RewardScorer], rollout: Rollout, tail_ids: list[int], pad_id: int
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """token_scores (B, R) from the token model and sequence_scores (B,) from the sequence model.

    r_t lands on each response text token; the EOS token gets no token reward (reward models learn no
    label there); the sequence score is placed on the EOS later, by build_rewards.
    """
    ids, attention, response, starts = reward_model_batch(rollout, tail_ids, pad_id)  # (B, T') x3, (B,)
    token_scores = sequence_scores = None
    if "token" in scorers:
        scores = scorers["token"].score_tokens(ids, attention).float()  # (B, T')
        length = rollout.response.shape[1]
        index = (starts.unsqueeze(1) + torch.arange(length, device=ids.device)).clamp(max=ids.shape[1] - 1)
        text_mask = rollout.response_mask.clone()  # (B, R)
        text_mask[rollout.has_eos, (rollout.response_mask.sum(1) - 1)[rollout.has_eos]] = 0
        token_scores = scores.gather(1, index) * text_mask  # (B, R)
    if "sequence" in scorers:
        sequence_scores = scorers["sequence"].score_sequences(ids, attention, response).float()  # (B,)
    return token_scores, sequence_scores
