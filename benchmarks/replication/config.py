"""Settings of the replication benchmark: one dataclass with a line of doc per field, and two presets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from benchmarks.replication.prompt_records import DATA_DIR


@dataclass
class ReplicationConfig:
    """One replication run: data, judge and editor hooks, reward models, PPO, evaluation."""

    model: str = "bundled"
    """Initial (SFT) policy, reward-model trunk and sampler: 'bundled' (SmolLM2-135M-Instruct), 'tiny' or a dir."""
    train_prompts: str = str(DATA_DIR / "prompts_train.jsonl")
    """Prompt records for the preference pairs and the PPO rollouts."""
    heldout_prompts: str = str(DATA_DIR / "prompts_heldout.jsonl")
    """Prompt records for the reward-model accuracy pairs and the win rates."""
    max_train_prompts: int | None = None
    """Use only N training prompts, evenly spaced through the file (so every category is in); None: all."""
    max_heldout_prompts: int | None = None
    """Use only N held-out prompts, evenly spaced through the file; None: all."""
    judge: str = "benchmarks.replication.gold_judge:score_response"
    """'module:function' f(prompt, response) -> gold score; ranks the pairs and scores PPO rollouts."""
    pair_judge: str = "benchmarks.replication.gold_judge:judge_pair"
    """'module:function' f(prompt, a, b) -> P(a better), the win-rate judge."""
    editor: str = "benchmarks.replication.oracle_editor:edit_response"
    """'module:function' f(prompt, rejected) -> minimally edited response."""
    sample_max_new_tokens: int = 48
    """Response length of the sampled pairs (keep it equal to PPO's and the evaluation's)."""
    sample_temperature: float = 0.7
    """Sampling temperature of the pairs."""
    sample_batch_size: int = 8
    """Prompts per sampling batch (each sampled twice)."""
    sample_rounds: int = 3
    """Resampling rounds for tied pairs; pairs still tied are dropped unless keep_ties."""
    keep_ties: bool = False
    """Keep pairs still tied after the last round (the tiny model's random text ties often)."""
    data_seed: int = 0
    """Seed of the pair sampling; the pairs are the same for every run seed."""
    reward_preset: str = "smollm2-cpu"
    """training.reward preset both reward models start from."""
    reward_overrides: list[str] = field(default_factory=list)
    """'key=value' overrides for both reward models (e.g. 'epochs=2')."""
    token_loss: str = "token-bt"
    """Loss of the token-level reward model."""
    ppo_preset: str = "smollm2-cpu"
    """training.ppo preset both PPO runs start from."""
    ppo_overrides: list[str] = field(default_factory=list)
    """'key=value' overrides for both PPO runs (the reward mode and reward models are set per run)."""
    eval_max_new_tokens: int = 48
    """Response length when sampling the held-out prompts for the win rates."""
    eval_temperature: float = 0.7
    """Sampling temperature of the win-rate responses."""
    eval_batch_size: int = 16
    """Prompts per batch when sampling for the win rates."""
    gold_target: float | None = None
    """Gold score (smoothed training rollouts) whose first step is reported; None: start + gold_target_gain."""
    gold_target_gain: float = 0.5
    """With gold_target None: the target is the mean gold score of the first steps plus this."""
    gold_smoothing: int = 5
    """Trailing window (steps) of the gold-score curve before the target is looked for."""
    seeds: list[int] = field(default_factory=lambda: [0])
    """Run seeds: reward-model initialisation and order, PPO sampling and updates."""
    threads: int = 0
    """torch CPU threads; 0 keeps torch's default (1 is much faster on a machine other jobs keep busy)."""
    work_dir: str = "var/replication"
    """Pairs, databases, exports, checkpoints and logs (large; not committed)."""
    results_dir: str = "benchmarks/results/replication"
    """Where table.md, results.json, gold_vs_step.png and command.txt go."""

    def __post_init__(self) -> None:
        for name in ("sample_max_new_tokens", "sample_batch_size", "sample_rounds", "eval_max_new_tokens",
                     "eval_batch_size", "gold_smoothing"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.seeds:
            raise ValueError("seeds is empty; give at least one seed, e.g. seeds=[0]")
        for name in ("judge", "pair_judge", "editor"):
            if ":" not in getattr(self, name):
                raise ValueError(f"{name} {getattr(self, name)!r} must be 'module:function'")


PRESETS: dict[str, ReplicationConfig] = {
    # CI smoke run: tiny random model, a few prompts, two PPO steps per mode; a few minutes on 2 cores
    "quick": ReplicationConfig(
        model="tiny", max_train_prompts=24, max_heldout_prompts=12, sample_max_new_tokens=16,
        sample_batch_size=12, sample_rounds=2, keep_ties=True, reward_preset="cpu-tiny", reward_overrides=["max_steps=6"],
        ppo_preset="cpu-tiny", ppo_overrides=["total_steps=3", "batch_size=4", "mini_batch_size=4",
                                              "max_new_tokens=16", "temperature=0.7"],
        eval_max_new_tokens=16, gold_smoothing=1, threads=1, work_dir="var/replication-quick",
        results_dir="var/replication-quick/results",
    ),
    # the bundled SmolLM2-135M-Instruct on 2 CPU cores. Process CPU time measured per phase (one thread):
    # reward models ~9 s a step with LoRA (12 s without), PPO ~18 s a step, so one seed is ~45 min of
    # CPU after the pairs are sampled once (~25 min, cached for later seeds).
    "full": ReplicationConfig(
        model="bundled", reward_preset="smollm2-cpu",
        reward_overrides=["epochs=1", "max_length=160", "batch_size=8", "gradient_accumulation_steps=1",
                          "lora=true", "learning_rate=1e-4", "neutral_penalty=0.1", "validation_fraction=0",
                          "eval_every=0"],
        ppo_preset="smollm2-cpu",
        ppo_overrides=["total_steps=40", "batch_size=8", "mini_batch_size=8", "max_new_tokens=48",
                       "temperature=0.7", "learning_rate=2e-5", "kl_coef=0.05"],
    ),
}


def preset(name: str) -> ReplicationConfig:
    """A fresh copy of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown replication preset {name!r}; choose one of {', '.join(PRESETS)}")
    base = PRESETS[name]
    return replace(base, reward_overrides=list(base.reward_overrides), ppo_overrides=list(base.ppo_overrides),
                   seeds=list(base.seeds))
