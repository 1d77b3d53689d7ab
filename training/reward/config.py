"""Reward-model training settings: one dataclass with a line of doc per field, validation, and named presets."""

from dataclasses import dataclass, field, replace
from typing import Literal

TOKEN_LOSSES = ("token-bt", "token-class", "token-regress")

ModelType = Literal["token", "sequence"]
TokenLoss = Literal["token-bt", "token-class", "token-regress"]


@dataclass
class RewardModelConfig:
    """Everything one reward-model run needs; `load_config` fills it from a preset or a YAML/JSON file."""

    model_type: ModelType = "token"
    """'token': a reward r_t on every token; 'sequence': one Bradley-Terry score at the last token."""
    token_loss: TokenLoss = "token-bt"
    """Loss of the token model: 'token-bt', 'token-class' or 'token-regress' (the sequence model ignores it)."""
    pairs: Literal["edits", "original"] = "edits"
    """Sequence model's training pairs: 'edits' (edited beats original) or 'original' (chosen beats rejected)."""
    model: str = "bundled"
    """Trunk: 'tiny' (random, made on the fly), 'bundled' (SmolLM2-135M-Instruct) or a Hugging Face model directory."""
    data_path: str = ""
    """Token-labels export (JSONL or Parquet) to train on; required."""
    output_dir: str = "var/reward"
    """Where the checkpoint, config, provenance, metrics.jsonl and plot go."""
    seed: int = 0
    """Seed for the train/validation split, batch order and head initialisation."""
    validation_fraction: float = 0.1
    """Share of prompts held out for validation (the split is by prompt, never by row)."""
    max_length: int = 512
    """Longest prompt + response in tokens; longer rows are cut at the end."""
    epochs: int = 1
    """Passes over the training pairs (used when max_steps is 0)."""
    max_steps: int = 0
    """Optimiser steps to run; 0: as many as `epochs` passes need."""
    batch_size: int = 8
    """Pairs per forward pass on each process (each pair is two sequences)."""
    gradient_accumulation_steps: int = 1
    """Forward passes per optimiser step."""
    learning_rate: float = 2e-5
    """Peak AdamW learning rate."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    warmup_ratio: float = 0.05
    """Share of the steps spent warming the learning rate up linearly from 0."""
    lr_scheduler: Literal["linear", "cosine", "constant"] = "linear"
    """Learning-rate decay after warm-up."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm; 0 turns clipping off."""
    neutral_penalty: float = 0.01
    """token-bt: weight of the mean squared reward of unchanged tokens, pulling them towards 0."""
    neutral_smoothing: float = 0.1
    """token-class: probability mass a neutral token's soft target gives the negative and positive classes."""
    neutral_weight: float = 1.0
    """token-class and token-regress: loss weight of an unchanged token relative to a changed one."""
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    """Autocast precision through accelerate; 'bf16' on recent GPUs."""
    gradient_checkpointing: bool = False
    """Recompute trunk activations in the backward pass to save memory."""
    lean_layers: bool = True
    """Llama-family trunks in float32: SwiGLU MLPs and RMSNorms recompute elementwise values in backward."""
    cpu_allocator: Literal["jemalloc", "system"] = "jemalloc"
    """Host memory allocator of a training program: jemalloc where installed (less memory on CPU), or the system's."""
    cpu_mmap_threshold_mib: int = 0
    """On glibc's allocator: allocations this large get their own mapping (less memory, slower); 0: glibc's."""
    lora: bool = False
    """Train LoRA adapters on the trunk (and the full head) instead of all weights; merged at save time."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA inputs."""
    lora_target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    """Module names that get adapters."""
    eval_every: int = 50
    """Validate every N optimiser steps (and always at the end); 0: only at the end."""
    log_every: int = 1
    """Write a training line to metrics.jsonl every N optimiser steps."""
    plots: bool = True
    """Draw training.png (loss and validation accuracy over steps) at the end."""
    torch_threads: int = 0
    """CPU threads for torch during the run; 0 keeps torch's default (one per core)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
        for name in ("max_length", "epochs", "batch_size", "gradient_accumulation_steps", "log_every", "lora_r"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.cpu_mmap_threshold_mib <= 32:
            raise ValueError(f"cpu_mmap_threshold_mib must be in [0, 32] (0: glibc's default), "
                             f"got {self.cpu_mmap_threshold_mib}")
        for name in ("max_steps", "eval_every", "torch_threads"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if not 0.0 <= self.neutral_smoothing < 0.5:
            raise ValueError(f"neutral_smoothing must be in [0, 0.5), got {self.neutral_smoothing}")
        for name in ("neutral_penalty", "neutral_weight", "weight_decay", "max_grad_norm", "lora_dropout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")

    @property
    def loss_name(self) -> str:
        """The loss actually trained: the token loss, or 'sequence-bt' for the sequence model."""
        return self.token_loss if self.model_type == "token" else "sequence-bt"


PRESETS: dict[str, RewardModelConfig] = {
    # seconds on a CPU: tiny random model made on the fly; the tests use it. One thread: its matrices
    # are too small to share, and two spinning threads on a busy 2-core machine made it 15x slower.
    "cpu-tiny": RewardModelConfig(
        model="tiny", max_length=128, batch_size=8, max_steps=40, learning_rate=1e-3, warmup_ratio=0.0,
        eval_every=20, output_dir="var/reward-tiny", torch_threads=1,
    ),
    # the bundled SmolLM2-135M-Instruct on a 2-core CPU: minutes for a few hundred pairs
    "smollm2-cpu": RewardModelConfig(
        model="bundled", max_length=256, batch_size=4, gradient_accumulation_steps=2, epochs=1,
        learning_rate=2e-5, eval_every=25,
    ),
    # one GPU, or many through `accelerate launch`
    "gpu": RewardModelConfig(
        model="bundled", max_length=1024, batch_size=16, gradient_accumulation_steps=2, epochs=2,
        learning_rate=1e-5, mixed_precision="bf16", eval_every=100,
    ),
}


def preset(name: str) -> RewardModelConfig:
    """A fresh copy of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown reward-model preset {name!r}; choose one of {', '.join(PRESETS)} or a YAML/JSON file")
    return replace(PRESETS[name], lora_target_modules=list(PRESETS[name].lora_target_modules))
