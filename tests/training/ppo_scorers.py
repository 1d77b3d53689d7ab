"""Stand-in reward models for PPO tests: the load_reward_model API, with rewards that are plain functions of ids."""

import torch


class TokenIdScorer:
    """Token model whose r_t is +1 on one favoured token id and -0.1 elsewhere; records what it was given."""

    kind = "token"

    def __init__(self, tokenizer: object, favoured_id: int):
        self.tokenizer, self.favoured_id = tokenizer, favoured_id
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def score_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        self.seen.append((input_ids.clone(), attention_mask.clone()))
        rewards = torch.where(input_ids == self.favoured_id, 1.0, -0.1)  # (B, T)
        return rewards * attention_mask

    def score_sequences(self, input_ids, attention_mask, response_mask=None):  # noqa: ANN001, ANN201
        mask = attention_mask if response_mask is None else response_mask
        return (self.score_tokens(input_ids, attention_mask) * mask).sum(1)


class CountScorer:
    """Sequence model scoring how often the favoured token id occurs in the response."""

    kind = "sequence"

    def __init__(self, tokenizer: object, favoured_id: int):
        self.tokenizer, self.favoured_id = tokenizer, favoured_id
        self.seen: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = []

    def score_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        raise AssertionError("PPO must not ask a sequence model for token rewards")

    def score_sequences(self, input_ids, attention_mask, response_mask=None):  # noqa: ANN001, ANN201
        self.seen.append((input_ids.clone(), attention_mask.clone(), response_mask))
        mask = attention_mask if response_mask is None else response_mask
        return ((input_ids == self.favoured_id) * mask).sum(1).float()


def word_count_judge(prompt: str, response: str) -> float:
    """A gold judge for tests: the number of words in the response."""
    return float(len(response.split()))
