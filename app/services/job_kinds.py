"""What each kind of training job runs: its config class, its entry module and its fixed settings.

The config is validated here, with the trainer's own dataclass, before anything is queued.
"""

import importlib
from dataclasses import dataclass, field
from typing import Any

from app.services.errors import ServiceError

PRESETS = ("cpu-tiny", "smollm2-cpu", "gpu", "gpu-multi")


class JobConfigError(ServiceError):
    """A job config that the trainer would refuse; `errors` name the fields (422)."""

    status_code = 422

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    config_module: str  # defines the config dataclass `config_class` and its PRESETS mapping
    config_class: str
    entry_module: str  # run as `python -m entry_module --config FILE --output-dir DIR`
    fixed: dict[str, Any] = field(default_factory=dict)  # fields this kind always sets
    needs_export: bool = True

    def load_class(self) -> type:
        return getattr(importlib.import_module(self.config_module), self.config_class)

    def presets(self) -> Any:
        return importlib.import_module(self.config_module).PRESETS


KINDS: dict[str, JobKind] = {
    k.name: k
    for k in (
        JobKind("reward-token", "Token-level reward model", "training.reward.config", "RewardModelConfig",
                "training.reward.train", {"model_type": "token"}),
        JobKind("reward-sequence", "Sequence-level reward model (Bradley-Terry)",
                "training.reward.config", "RewardModelConfig", "training.reward.train", {"model_type": "sequence"}),
        JobKind("ppo-token", "Fine-grained PPO (token rewards)", "training.ppo.config", "PPOConfig",
                "training.ppo.train", {"reward_mode": "token"}),
        JobKind("ppo-sequence", "Standard PPO (sequence reward)", "training.ppo.config", "PPOConfig",
                "training.ppo.train", {"reward_mode": "sequence"}),
        JobKind("eval-win-rate", "Win-rate evaluation", "training.evaluation.config", "WinRateConfig",
                "training.evaluation.win_rate", {}, needs_export=False),
    )
}


def get_kind(name: str) -> JobKind:
    if name not in KINDS:
        raise JobConfigError([{"field": "kind", "message": f"unknown kind {name!r}; choose one of {', '.join(KINDS)}"}])
    return KINDS[name]


def preset_config(kind: JobKind, preset: str) -> dict[str, Any]:
    """The preset's fields as a plain dict, with the kind's fixed fields applied (shown as editable YAML)."""
    from training.config_io import config_to_dict, load_config

    if preset not in PRESETS:
        raise JobConfigError([{"field": "preset", "message": f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}"}])
    base = "gpu" if preset == "gpu-multi" else preset
    values = config_to_dict(load_config(kind.load_class(), base, kind.presets()))
    values.update(kind.fixed)
    return values


def validate_config(kind: JobKind, values: dict[str, Any]) -> dict[str, Any]:
    """Build the trainer's dataclass from `values`; unknown or ill-typed fields raise JobConfigError."""
    from training.config_io import ConfigError, apply_mapping, config_to_dict

    try:
        cfg = apply_mapping(kind.load_class()(), {**values, **kind.fixed})
    except ConfigError as exc:
        raise JobConfigError(_errors_of(exc)) from exc
    return config_to_dict(cfg)


def _errors_of(exc: Exception) -> list[dict[str, str]]:
    """One entry per problem, with the field named when the message quotes it."""
    errors = []
    for message in str(exc).removeprefix("invalid config: ").split("; "):
        quoted = message.split("'")
        errors.append({"field": quoted[1] if len(quoted) > 2 else "config", "message": message})
    return errors
