"""training.config_io: presets, files, overrides, and the errors for unknown or ill-typed fields."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from training.config_io import ConfigError, config_to_dict, load_config, save_config


@dataclass
class Optim:
    lr: float = 1e-3
    """Learning rate."""
    betas: tuple[float, float] = (0.9, 0.999)
    """Adam betas."""


@dataclass
class Example:
    name: str = "run"
    """Run name."""
    steps: int = 10
    """Steps."""
    verbose: bool = False
    """Chatty logs."""
    mode: Literal["a", "b"] = "a"
    """Mode."""
    clip: float | None = None
    """Optional clip."""
    targets: list[str] = field(default_factory=lambda: ["q", "v"])
    """Module names."""
    optim: Optim = field(default_factory=Optim)
    """Optimiser settings."""

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")


PRESETS = {"small": Example(steps=3), "factory": lambda: Example(name="made")}


def test_preset_by_name_is_a_fresh_copy() -> None:
    first = load_config(Example, "small", PRESETS)
    first.targets.append("x")
    assert load_config(Example, "small", PRESETS).targets == ["q", "v"]
    assert load_config(Example, "factory", PRESETS).name == "made"


def test_overrides_parse_text_by_field_type() -> None:
    cfg = load_config(
        Example, "small", PRESETS,
        ["steps=7", "verbose=yes", "mode=b", "clip=0.5", "targets=a,b", "optim.lr=1e-4", "optim.betas=[0.8, 0.9]"],
    )
    assert (cfg.steps, cfg.verbose, cfg.mode, cfg.clip, cfg.targets) == (7, True, "b", 0.5, ["a", "b"])
    assert cfg.optim.lr == pytest.approx(1e-4) and cfg.optim.betas == (0.8, 0.9)
    assert load_config(Example, "small", PRESETS, ["clip=none"]).clip is None


def test_yaml_file_with_base_preset(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    # YAML reads 1e-4 as a string; a float field still accepts it.
    path.write_text("preset: small\nverbose: true\noptim:\n  lr: 1e-4\n")
    cfg = load_config(Example, path, PRESETS, ["name=x"])
    assert (cfg.steps, cfg.verbose, cfg.name, cfg.optim.lr) == (3, True, "x", pytest.approx(1e-4))


def test_json_round_trip(tmp_path: Path) -> None:
    cfg = load_config(Example, "small", PRESETS, ["mode=b", "optim.betas=[0.5, 0.6]"])
    out = tmp_path / "c.json"
    save_config(cfg, out)
    assert json.loads(out.read_text())["optim"]["betas"] == [0.5, 0.6]
    assert load_config(Example, out, PRESETS) == cfg
    yaml_out = tmp_path / "c.yaml"
    save_config(cfg, yaml_out)
    assert load_config(Example, yaml_out, PRESETS) == cfg
    assert config_to_dict(cfg)["mode"] == "b"


def test_all_bad_fields_are_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(Example, "small", PRESETS, ["stepz=3", "steps=three", "mode=c", "verbose=maybe", "optim.lrr=1"])
    message = str(err.value)
    for part in ("'stepz'", "'steps' must be an integer", "'mode' must be one of 'a', 'b'", "'verbose'", "'optim.lrr'"):
        assert part in message


def test_file_values_are_type_checked_without_text_parsing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("steps: '5'\nverbose: 1\nname: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(Example, path, PRESETS)
    assert "'verbose' must be true or false" in str(err.value)
    assert "'name' must be a string" in str(err.value)


@pytest.mark.parametrize(
    ("spec", "overrides", "needle"),
    [
        ("nope", [], "neither a preset"),
        ("small", ["steps"], "not of the form key=value"),
        ("small", ["steps=0"], "steps must be at least 1"),
        ("small", ["optim=3"], "group of fields"),
    ],
)
def test_bad_specs_and_overrides(spec: str, overrides: list[str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_config(Example, spec, PRESETS, overrides)


def test_bad_files(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("steps: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(Example, bad_yaml, PRESETS)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(Example, listing, PRESETS)
    unknown_base = tmp_path / "base.yaml"
    unknown_base.write_text("preset: huge\n")
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        load_config(Example, unknown_base, PRESETS)
