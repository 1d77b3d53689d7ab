"""The policy: a causal LM with a value head on the same trunk, its frozen reference, and saving."""

import copy
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from training.ppo.config import PPOConfig


def load_policy_tokenizer(model_dir: Path) -> PreTrainedTokenizerBase:
    """The tokenizer, padding on the left for generation; pad falls back to EOS (as in SmolLM2)."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer in {model_dir} has no EOS token; PPO needs one to end responses")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def load_causal_lm(model_dir: Path) -> PreTrainedModel:
    """A float32 Hugging Face causal LM with dropout off, so that log-probs at rollout and update agree."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    if hasattr(model.config, "attention_dropout"):
        model.config.attention_dropout = 0.0
    return model


class PolicyWithValue(nn.Module):
    """Causal LM (optionally with LoRA adapters) plus a linear value head on its last hidden state."""

    def __init__(self, lm: nn.Module, hidden_size: int):
        super().__init__()
        self.lm: Any = lm  # a transformers model or a peft wrapper around one
        self.value_head = nn.Linear(hidden_size, 1)
        nn.init.normal_(self.value_head.weight, std=1.0 / (hidden_size + 1) ** 0.5)
        nn.init.zeros_(self.value_head.bias)

    @property
    def uses_lora(self) -> bool:
        return hasattr(self.lm, "disable_adapter")

    def base_lm(self) -> PreTrainedModel:
        """The transformers model (inside the peft wrapper when LoRA is on; adapters live in its layers)."""
        return self.lm.get_base_model() if self.uses_lora else self.lm

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_length: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B, R, V) predicting the last R tokens of input_ids (B, T), and values (B, R) there."""
        hidden = response_hidden(self.base_lm(), input_ids, attention_mask, response_length)  # (B, R, H)
        logits = self.base_lm().get_output_embeddings()(hidden)  # (B, R, V)
        values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1)  # (B, R)
        return logits, values

    def reference_context(self) -> AbstractContextManager:
        """Inside it the LoRA policy is its own reference (adapters off); without LoRA a no-op."""
        return self.lm.disable_adapter() if self.uses_lora else nullcontext()


def response_hidden(
    model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_length: int
) -> torch.Tensor:
    """Last-layer hidden states (B, R, H) at the R positions that predict the last R tokens.

    Position ids count only attended tokens, as generate() does for left-padded prompts; the lm head runs
    later on these R positions only, which saves a (B, T, V) tensor.
    """
    positions = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)  # (B, T)
    trunk = getattr(model, model.base_model_prefix)
    out = trunk(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=False)
    return out.last_hidden_state[:, -response_length - 1 : -1]  # (B, R, H)


def reference_logits(
    policy: PolicyWithValue, frozen: PreTrainedModel | None, input_ids: torch.Tensor,
    attention_mask: torch.Tensor, response_length: int,
) -> torch.Tensor:
    """Reference-model logits (B, R, V): the frozen copy, or the LoRA policy with adapters off."""
    with policy.reference_context():
        model = frozen if frozen is not None else policy.base_lm()
        hidden = response_hidden(model, input_ids, attention_mask, response_length)  # (B, R, H)
        return model.get_output_embeddings()(hidden)


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float) -> torch.Tensor:
    """log p(token) (B, R) under softmax(logits / temperature), without a (B, R, V) log-softmax copy."""
    logits = logits.float() / temperature  # (B, R, V)
    picked = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)  # (B, R)
    return picked - torch.logsumexp(logits, dim=-1)


@torch.no_grad()
def token_entropy(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Entropy (B, R) of softmax(logits / temperature)."""
    logits = logits.float() / temperature  # (B, R, V)
    return torch.logsumexp(logits, dim=-1) - (torch.softmax(logits, dim=-1) * logits).sum(-1)


def build_policy(config: PPOConfig, model_dir: Path) -> tuple[PolicyWithValue, PreTrainedModel | None]:
    """The trainable policy with value head, and a frozen reference copy (None when LoRA provides it)."""
    lm = load_causal_lm(model_dir)
    if config.gradient_checkpointing:
        lm.gradient_checkpointing_enable()
    frozen = None
    if config.lora:
        lm = _add_lora(lm, config)
    else:
        frozen = copy.deepcopy(lm).eval().requires_grad_(False)
    policy = PolicyWithValue(lm, lm.config.hidden_size)
    return policy, frozen


def _add_lora(lm: PreTrainedModel, config: PPOConfig) -> nn.Module:
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as err:
        raise ImportError("lora=true needs peft; install it with `pip install 'redline[lora]'`") from err
    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.0,
        target_modules=list(config.lora_target_modules), task_type="CAUSAL_LM",
    )
    if config.gradient_checkpointing:
        lm.enable_input_require_grads()
    return get_peft_model(lm, lora)


def save_policy(policy: PolicyWithValue, tokenizer: PreTrainedTokenizerBase, directory: Path) -> Path:
    """A plain Hugging Face checkpoint (LoRA merged) + tokenizer, and value_head.safetensors beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    lm = copy.deepcopy(policy.lm).merge_and_unload() if policy.uses_lora else policy.lm
    lm.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    head = {name: tensor.detach().contiguous() for name, tensor in policy.value_head.state_dict().items()}
    save_file(head, str(directory / "value_head.safetensors"))
    return directory
