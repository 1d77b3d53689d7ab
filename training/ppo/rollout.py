"""Rollouts: chat-formatted, left-padded prompts, sampled responses and their masks (pad token == EOS)."""

from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class Rollout:
    """One batch of prompts and sampled responses."""

    query: torch.Tensor
    """(B, P) prompt token ids, left-padded."""
    query_mask: torch.Tensor
    """(B, P) 1 on prompt tokens, 0 on left padding; taken from the tokenizer, never from `ids != pad`."""
    response: torch.Tensor
    """(B, R) sampled token ids; positions after the first EOS hold the pad (== EOS) token."""
    response_mask: torch.Tensor
    """(B, R) 1 on response tokens up to and including the first EOS."""
    has_eos: torch.Tensor
    """(B,) True where the response ended with EOS within max_new_tokens."""

    @property
    def input_ids(self) -> torch.Tensor:
        return torch.cat([self.query, self.response], dim=1)  # (B, P + R)

    @property
    def attention_mask(self) -> torch.Tensor:
        return torch.cat([self.query_mask, self.response_mask], dim=1)  # (B, P + R)


def format_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str) -> str:
    """The prompt as a user turn with the assistant's turn opened, or as is when there is no chat template."""
    if not getattr(tokenizer, "chat_template", None):
        return prompt
    messages = [{"role": "user", "content": prompt}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def encode_prompts(
    tokenizer: PreTrainedTokenizerBase, prompts: list[str], max_prompt_tokens: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask (B, P), left-padded; long prompts keep their last max_prompt_tokens.

    The chat template already holds the special tokens, so none are added again. The mask comes from the
    tokenizer because the template itself contains EOS tokens (<|im_end|>) that equal the pad token.
    """
    texts = [format_prompt(tokenizer, p) for p in prompts]
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"][-max_prompt_tokens:] for t in texts]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)  # (B, P)
    mask = torch.zeros((len(rows), width), dtype=torch.long)  # (B, P)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids, mask


def response_mask_until_eos(response: torch.Tensor, eos_token_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask (B, R) of tokens up to and including the first EOS, and has_eos (B,)."""
    is_eos = response == eos_token_id  # (B, R)
    eos_before = is_eos.long().cumsum(dim=1) - is_eos.long()  # (B, R) EOS tokens strictly before t
    return (eos_before == 0).long(), is_eos.any(dim=1)


@torch.no_grad()
def sample_responses(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, query: torch.Tensor, query_mask: torch.Tensor,
    max_new_tokens: int, temperature: float = 1.0, top_k: int = 0, do_sample: bool = True,
) -> Rollout:
    """Sample one response per prompt; R is the longest response (at most max_new_tokens)."""
    eos = tokenizer.eos_token_id
    sampling = {"temperature": temperature, "top_k": top_k, "top_p": 1.0} if do_sample else {}  # top_k=0: none
    out = model.generate(
        input_ids=query, attention_mask=query_mask, max_new_tokens=max_new_tokens, do_sample=do_sample,
        eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, repetition_penalty=None, **sampling,
    )
    response = out[:, query.shape[1] :]  # (B, R)
    response_mask, has_eos = response_mask_until_eos(response, eos)  # (B, R), (B,)
    response = response.masked_fill(response_mask == 0, tokenizer.pad_token_id)
    return Rollout(query, query_mask, response, response_mask, has_eos)


def decode_responses(tokenizer: PreTrainedTokenizerBase, rollout: Rollout) -> list[str]:
    """Response texts without EOS or padding."""
    rows = []
    for tokens, mask, eos in zip(rollout.response, rollout.response_mask, rollout.has_eos, strict=True):
        n = int(mask.sum()) - int(eos)
        rows.append(tokenizer.decode(tokens[:n], skip_special_tokens=True))
    return rows
