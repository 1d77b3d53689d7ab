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


def split_template(tokenizer: PreTrainedTokenizerBase, prompt: str) -> tuple[str, str, bool]:
    """(text before the response, text after it, whether the tokenizer adds its special tokens).

    Joined through training.chat_format, the one place where prompt and response meet, so the policy is
    prompted exactly as the reward models were trained; for SmolLM2 the text after is "<|im_end|>\n".
    """
    from training.chat_format import join_prompt_response

    joined = join_prompt_response(tokenizer, prompt, "")
    return joined.text[: joined.response_start], joined.text[joined.response_end :], joined.add_special_tokens


def encode_prompts(
    tokenizer: PreTrainedTokenizerBase, prompts: list[str], max_prompt_tokens: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask (B, P), left-padded; long prompts keep their last max_prompt_tokens.

    The mask comes from the tokenizer, never from `ids != pad`, because the chat template itself holds
    EOS tokens (<|im_end|>) that equal the pad token.
    """
    rows = []
    for prompt in prompts:
        head, _, add_special = split_template(tokenizer, prompt)
        rows.append(tokenizer(head, add_special_tokens=add_special)["input_ids"][-max_prompt_tokens:])
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)  # (B, P)
    mask = torch.zeros((len(rows), width), dtype=torch.long)  # (B, P)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids, mask


def template_tail_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Token ids of what the chat template puts after a response (the closing EOS and newline for ChatML)."""
    _, tail, _ = split_template(tokenizer, "x")
    return tokenizer(tail, add_special_tokens=False)["input_ids"] if tail else []


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
