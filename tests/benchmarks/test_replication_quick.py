"""The replication's --quick preset end to end (tiny model, about a minute on 2 cores), and its pieces."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.replication.config import preset
from benchmarks.replication.outcomes import gold_target, smoothed, steps_to_target
from benchmarks.replication.run import load_replication_config, run_replication, spread_subset


def test_steps_to_target_uses_the_trailing_mean():
    gold = [-3.0, -1.0, -3.0, -1.0, -1.0]
    assert smoothed(gold, 2) == [-3.0, -2.0, -2.0, -2.0, -1.0]
    assert steps_to_target([1, 2, 3, 4, 5], gold, -1.5, window=2) == 5
    assert steps_to_target([1, 2, 3, 4, 5], gold, -1.0, window=1) == 2
    assert steps_to_target([1, 2, 3], [-3.0, -3.0, -3.0], -1.0, window=1) is None


def test_gold_target_is_fixed_or_start_plus_gain():
    assert gold_target([[-2.0, -4.0, 0.0], [-3.0, -3.0]], window=2, gain=0.5, fixed=None) == pytest.approx(-2.5)
    assert gold_target([[-2.0]], window=2, gain=0.5, fixed=-1.0) == -1.0


def test_command_line_config_takes_presets_seeds_and_overrides():
    config = load_replication_config("quick", ["eval_temperature=0.5"], seeds=3)
    assert config.model == "tiny" and config.seeds == [0, 1, 2] and config.eval_temperature == 0.5
    with pytest.raises(ValueError, match="must be 'module:function'"):
        load_replication_config("quick", ["editor=not_a_hook"], seeds=None)


def test_spread_subset_takes_every_part_of_the_file():
    records = list(range(100))
    assert spread_subset(records, 4) == [0, 25, 50, 75]  # type: ignore[arg-type]
    assert spread_subset(records, None) == records  # type: ignore[arg-type]


@pytest.mark.slow
def test_quick_replication_runs_end_to_end(tmp_path: Path):
    config = replace(preset("quick"), work_dir=str(tmp_path / "work"), results_dir=str(tmp_path / "results"))
    logged: list[str] = []
    results = run_replication(config, "python -m benchmarks.replication.run --quick", logged.append)

    out = tmp_path / "results"
    for name in ("table.md", "results.json", "gold_vs_step.png", "command.txt"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert json.loads((out / "results.json").read_text())["command"] == "python -m benchmarks.replication.run --quick"
    table = (out / "table.md").read_text()
    for row in ("Sequence-level", "Token-level", "SFT (initial policy)", "PPO (sequence-level reward)",
                "Fine-grained PPO (token-level reward)"):
        assert row in table

    # the pairs went through the server's import -> edit -> export path
    export = [json.loads(line) for line in Path(results["data"]["train_export"]).read_text().splitlines()]
    assert len(export) == results["data"]["train_pairs"] > 0
    assert {row["author"] for row in export} == {"oracle-editor"}
    assert sum(row["edited"] != row["rejected"] for row in export) == results["data"]["train_edited"] > 0
    assert any(-1 in row["original_labels"] or 1 in row["edited_labels"] for row in export)

    seed = results["seeds"]["0"]
    for kind in ("sequence", "token"):
        metrics = seed["reward_models"][kind]
        assert 0.0 <= metrics["original_pair_accuracy"] <= 1.0 and 0.0 <= metrics["edit_pair_accuracy"] <= 1.0
    assert "total_steps=3" in config.ppo_overrides
    for mode in ("sequence", "token"):
        curve = seed["ppo"][mode]
        assert curve["steps"] == [1, 2, 3] and len(curve["gold"]) == 3
        assert all(isinstance(g, float) for g in curve["gold"])
    for policy in ("sft", "ppo", "fine_grained_ppo"):
        assert 0.0 <= seed["win_rates"][policy]["win_rate"] <= 1.0
        assert seed["win_rates"][policy]["n"] == len(spread_subset(list(range(10_000)), config.max_heldout_prompts))
    assert any("win rates vs SFT" in line for line in logged)
