"""The reward model: a causal-LM trunk with a linear head on every position, and its checkpoint format.

Public API (PPO and the evaluators rely on it; keep it stable):
- `load_reward_model(path, device=None) -> RewardModel`, in eval mode;
- `RewardModel.kind`: 'token' or 'sequence'; `RewardModel.tokenizer`: the tokenizer it was trained with;
- `score_tokens(input_ids, attention_mask) -> (B, T)`: the token model's r_t on every real token (0 on
  padding); the sequence model's score placed at the last non-pad token, zeros elsewhere;
- `score_sequences(input_ids, attention_mask, response_mask=None) -> (B,)`: the sequence model's score at
  the last non-pad token; the token model's sum of r_t over `response_mask` (else over all real tokens).

Checkpoint folder: the trunk as `save_pretrained` writes it (config.json, model.safetensors), the head in
reward_head.safetensors, reward_model.json (kind, loss, head size), the tokenizer files and (written by the
trainer) training_config.yaml, so that evaluation can rebuild the run's validation split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from training.ops import gather_last, masked_sum, place_at_last
from training.reward.losses import class_rewards

HEAD_FILE = "reward_head.safetensors"
META_FILE = "reward_model.json"
TRAINING_CONFIG_FILE = "training_config.yaml"
FORMAT_VERSION = 1
BUNDLED_SPECS = ("bundled", "smollm2", "smollm2-135m-instruct")


class ModelSpecError(ValueError):
    """A model spec that names no usable model."""


def resolve_model_dir(spec: str, cache_dir: str | Path | None = None) -> Path:
    """A local model directory from a spec: 'tiny', 'bundled' (SmolLM2-135M-Instruct) or a directory."""
    if spec == "tiny":
        from training.tiny import tiny_model_dir

        return tiny_model_dir(cache_dir)
    if spec in BUNDLED_SPECS:
        from training.bundled import bundled_model_dir

        return Path(bundled_model_dir(cache_dir))
    path = Path(spec)
    if not (path / "config.json").is_file():
        raise ModelSpecError(
            f"model {spec!r} is not 'tiny', 'bundled' or a Hugging Face model directory with a config.json; "
            "nothing is downloaded at run time"
        )
    return path


def load_tokenizer_from(model_dir: Path) -> Any:
    """The model's tokenizer; pad falls back to EOS, and padding is on the right as in training."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def head_size(loss: str) -> int:
    """Outputs per token: 3 class logits for token-class, one reward otherwise."""
    return 3 if loss == "token-class" else 1


class RewardModel(nn.Module):
    """Trunk (B, T) -> hidden (B, T, H) -> head (B, T, K); K = 3 for token-class, else 1."""

    trunk: Any  # a Hugging Face base model (or its PEFT wrapper)

    def __init__(self, trunk: Any, kind: str, loss: str, tokenizer: Any = None, seed: int = 0):
        super().__init__()
        if kind not in ("token", "sequence"):
            raise ValueError(f"reward model kind must be 'token' or 'sequence', got {kind!r}")
        self.trunk = trunk
        self.kind, self.loss, self.tokenizer = kind, loss, tokenizer
        hidden: int = trunk.config.hidden_size
        self.head = nn.Linear(hidden, head_size(loss))
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # small, seeded init: scores start near 0 and the trunk gets gradients at once
            self.head.weight.copy_(torch.randn(self.head.weight.shape, generator=generator) / (hidden + 1) ** 0.5)
            self.head.bias.zero_()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T, K) head outputs at every position."""
        out = self.trunk(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        hidden = out.last_hidden_state  # (B, T, H)
        return self.head(hidden.to(self.head.weight.dtype))  # (B, T, K)

    def rewards_from_outputs(self, outputs: torch.Tensor) -> torch.Tensor:
        """(B, T) per-position reward from (B, T, K) head outputs."""
        return class_rewards(outputs) if self.loss == "token-class" else outputs.squeeze(-1).float()

    @torch.no_grad()
    def score_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) rewards: r_t for a token model, the score at the last real token for a sequence model."""
        rewards = self.rewards_from_outputs(self(input_ids, attention_mask))  # (B, T)
        if self.kind == "sequence":
            return place_at_last(gather_last(rewards, attention_mask), attention_mask)
        return rewards * attention_mask.to(rewards.dtype)

    @torch.no_grad()
    def score_sequences(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B,) scores: the last-token score, or the sum of r_t over the response (else all real tokens)."""
        rewards = self.rewards_from_outputs(self(input_ids, attention_mask))  # (B, T)
        if self.kind == "sequence":
            return gather_last(rewards, attention_mask)
        mask = attention_mask.bool() if response_mask is None else response_mask.bool() & attention_mask.bool()
        return masked_sum(rewards, mask, dim=1)


def build_reward_model(model_dir: Path, kind: str, loss: str, tokenizer: Any, seed: int) -> RewardModel:
    """A fresh reward model on a pretrained trunk (the causal LM without its LM head)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    trunk = AutoModel.from_pretrained(model_dir, dtype=torch.float32)
    return RewardModel(trunk, kind, loss, tokenizer, seed)


def save_reward_model(model: RewardModel, path: Path, trunk: Any = None) -> None:
    """Write the checkpoint folder; `trunk` overrides model.trunk (e.g. LoRA adapters merged into it)."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    (trunk if trunk is not None else model.trunk).save_pretrained(path, safe_serialization=True)
    head = {k: v.detach().float().cpu().contiguous() for k, v in model.head.state_dict().items()}
    save_file(head, str(path / HEAD_FILE))
    meta = {"format_version": FORMAT_VERSION, "kind": model.kind, "loss": model.loss,
            "head_outputs": head_size(model.loss)}
    (path / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if model.tokenizer is not None:
        model.tokenizer.save_pretrained(path)


def load_reward_model(path: str | Path, device: str | torch.device | None = None) -> RewardModel:
    """A trained reward model from its checkpoint folder, in eval mode, on `device` (default CPU)."""
    from safetensors.torch import load_file
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder = Path(path)
    if not (folder / META_FILE).is_file():
        raise ValueError(f"{folder} is not a reward-model checkpoint: it has no {META_FILE} (train one first)")
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder}: checkpoint format {meta.get('format_version')} is not {FORMAT_VERSION}")
    trunk = AutoModel.from_pretrained(folder, dtype=torch.float32)
    model = RewardModel(trunk, meta["kind"], meta["loss"], load_tokenizer_from(folder))
    model.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
    return model.to(device or "cpu").eval()
