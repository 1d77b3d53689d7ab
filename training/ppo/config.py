"""PPO hyperparameters: one dataclass with a line of doc per field, validation, and named presets."""

from dataclasses import dataclass, field, replace

REWARD_MODES = ("sequence", "token", "token+sequence")
KL_ESTIMATORS = ("k1", "k3")


@dataclass
class PPOConfig:
    """Everything one PPO run needs; the defaults run on a laptop CPU with the bundled SmolLM2."""

    policy: str = "bundled"
    """Initial policy: 'tiny', 'bundled' (SmolLM2-135M-Instruct) or a Hugging Face model directory."""
    reward_mode: str = "token"
    """'sequence' (one score on the EOS token), 'token' (r_t on every token) or 'token+sequence' (both)."""
    token_reward_model: str | None = None
    """Directory of a token-level reward model; needed by 'token' and 'token+sequence'."""
    sequence_reward_model: str | None = None
    """Directory of a sequence-level reward model; needed by 'sequence' and 'token+sequence'."""
    data_path: str | None = None
    """Prompts: JSONL or Parquet rows with a 'prompt' field (a token-labels export works); None: built-in list."""
    output_dir: str = "var/ppo"
    """Where the checkpoint, config, provenance, metrics.jsonl and plots go."""
    seed: int = 0
    """Seed for prompt order, sampling and initialisation."""
    total_steps: int = 20
    """PPO steps; each is one rollout of `batch_size` prompts followed by `ppo_epochs` update epochs."""
    batch_size: int = 8
    """Prompts per rollout on each process."""
    mini_batch_size: int = 8
    """Sequences per optimiser step inside an update epoch; must divide batch_size."""
    ppo_epochs: int = 1
    """Passes over each rollout."""
    max_prompt_tokens: int = 64
    """Prompts longer than this (after the chat template) are cut from the left."""
    max_new_tokens: int = 32
    """Response length limit."""
    temperature: float = 1.0
    """Sampling temperature; log-probabilities are taken from the same tempered distribution."""
    top_k: int = 0
    """Top-k sampling; 0 turns it off (PPO needs the full distribution)."""
    learning_rate: float = 1e-5
    """Adam learning rate for the policy and value head."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm."""
    kl_coef: float = 0.05
    """beta: weight of the per-token KL penalty against the reference model."""
    kl_estimator: str = "k1"
    """'k1' (log p - log p_ref) or 'k3' (r - 1 - log r with r = p_ref / p, never negative)."""
    gamma: float = 1.0
    """Discount factor."""
    lam: float = 0.95
    """GAE lambda."""
    clip_range: float = 0.2
    """PPO ratio clip epsilon."""
    clip_range_value: float = 0.2
    """Clip for the value prediction around its rollout value."""
    value_coef: float = 0.1
    """Weight of the value loss in the total loss."""
    token_reward_coef: float = 1.0
    """Scale of the token-level rewards r_t."""
    center_token_rewards: bool = True
    """Subtract the batch's mean r_t over response text tokens: a token model's constant offset (every
    token a little negative, say) would otherwise act as a length penalty and swamp the value loss."""
    sequence_reward_coef: float = 1.0
    """Scale of the sequence-level score on the EOS token."""
    reward_clip: float | None = None
    """Clip reward-model outputs to [-reward_clip, reward_clip]; None: no clip."""
    missing_eos_penalty: float | None = None
    """Subtracted on the last token of responses that hit max_new_tokens without EOS; None: no penalty."""
    whiten_rewards: bool = False
    """Scale the per-token rewards to unit variance over the batch (mean kept)."""
    lora: bool = False
    """Train LoRA adapters instead of all weights; the reference is then the policy with adapters off."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator."""
    lora_target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    """Module names that get adapters."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass to save memory."""
    mixed_precision: str = "no"
    """'no', 'bf16' or 'fp16': autocast through accelerate; weights and Adam states stay float32."""
    gold_judge: str | None = None
    """Optional 'module:function' with f(prompt, response) -> float, logged as gold_score each step."""
    save_every: int = 0
    """Save a checkpoint every N steps besides the final one; 0: only at the end."""
    plots: bool = True
    """Write PNG plots of the metrics at the end."""

    def __post_init__(self) -> None:
        if self.reward_mode not in REWARD_MODES:
            raise ValueError(f"reward_mode {self.reward_mode!r} is unknown; choose one of {', '.join(REWARD_MODES)}")
        if self.kl_estimator not in KL_ESTIMATORS:
            raise ValueError(f"kl_estimator {self.kl_estimator!r} is unknown; choose 'k1' or 'k3'")
        if self.batch_size < 1 or self.mini_batch_size < 1 or self.batch_size % self.mini_batch_size:
            raise ValueError(
                f"mini_batch_size {self.mini_batch_size} must divide batch_size {self.batch_size}; set both >= 1"
            )
        for name in ("total_steps", "ppo_epochs", "max_new_tokens", "max_prompt_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0; PPO samples, it never decodes greedily")
        if self.mixed_precision not in ("no", "bf16", "fp16"):
            raise ValueError(f"mixed_precision {self.mixed_precision!r} is unknown; choose 'no', 'bf16' or 'fp16'")
        if self.reward_clip is not None and self.reward_clip <= 0:
            raise ValueError("reward_clip must be > 0, or None to turn it off")

    @property
    def uses_token_rewards(self) -> bool:
        return self.reward_mode in ("token", "token+sequence")

    @property
    def uses_sequence_rewards(self) -> bool:
        return self.reward_mode in ("sequence", "token+sequence")


PRESETS: dict[str, PPOConfig] = {
    # seconds on a CPU: tiny random model, built-in prompts; tests and smoke runs
    "cpu-tiny": PPOConfig(
        policy="tiny", total_steps=2, batch_size=4, mini_batch_size=2, ppo_epochs=2,
        max_prompt_tokens=24, max_new_tokens=8, learning_rate=1e-3, output_dir="var/ppo-tiny", plots=False,
    ),
    # the bundled SmolLM2-135M-Instruct on 2 CPU cores: about 10 s a step at these settings
    "smollm2-cpu": PPOConfig(
        policy="bundled", total_steps=40, batch_size=8, mini_batch_size=8, ppo_epochs=1,
        max_prompt_tokens=64, max_new_tokens=32, learning_rate=1e-5,
    ),
    # one GPU or many through `accelerate launch`
    "gpu": PPOConfig(
        policy="bundled", total_steps=200, batch_size=64, mini_batch_size=16, ppo_epochs=4,
        max_prompt_tokens=128, max_new_tokens=128, learning_rate=1e-5, mixed_precision="bf16",
    ),
}


def preset(name: str) -> PPOConfig:
    """A fresh copy of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown PPO preset {name!r}; choose one of {', '.join(PRESETS)} or give a YAML/JSON file")
    return replace(PRESETS[name])
