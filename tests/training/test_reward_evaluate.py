"""Reward-model evaluation: pairwise accuracy and token AUROC against loops, the table, and the two CLIs."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.training.reward_fixtures import export_file, write_rows
from training.config_io import load_config
from training.reward import evaluate
from training.reward.config import PRESETS, RewardModelConfig
from training.reward.evaluate import format_table, pairwise_accuracy, token_aurocs
from training.reward.train import main as train_main
from training.reward.train import train_reward_model

REPO = Path(__file__).resolve().parents[2]


def test_pairwise_accuracy_counts_ties_as_half() -> None:
    better, worse = [1.0, 0.0, 2.0, -1.0], [0.5, 0.0, 3.0, -2.0]
    expected = sum(1.0 if b > w else 0.5 if b == w else 0.0 for b, w in zip(better, worse, strict=True)) / 4
    assert pairwise_accuracy(better, worse) == expected == 0.625


def test_token_aurocs_per_side_and_pooled() -> None:
    # edited side: the inserted token scores highest; original side: the removed token scores lowest
    rewards = [0.1, 0.9, 0.0, 0.2, -0.8, 0.3]
    labels = [0, 1, 0, 0, -1, 0]
    better = [True, True, True, False, False, False]
    got = token_aurocs(rewards, labels, better)
    assert got == {"token_auroc": 1.0, "token_auroc_removed": 1.0, "token_auroc_inserted": 1.0}
    flipped = token_aurocs([-r for r in rewards], labels, better)
    assert flipped["token_auroc_removed"] == 0.0 and flipped["token_auroc_inserted"] == 0.0


def test_format_table_lines_up_columns() -> None:
    text = format_table({"a": {"kind": "token", "edit_pair_accuracy": 0.5, "edit_pairs": 10}, "bb": {"kind": "sequence"}})
    lines = text.splitlines()
    assert lines[0].split() == ["metric", "a", "bb"]
    assert lines[2].split() == ["kind", "token", "sequence"]
    assert lines[3].split() == ["edit_pair_accuracy", "0.500", "-"]
    assert lines[4].split() == ["edit_pairs", "10", "-"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("eval")
    export = export_file(root, count=64)
    cfg = load_config(RewardModelConfig, "cpu-tiny", PRESETS,
                      [f"data_path={export}", f"output_dir={root / 'run'}", "max_steps=20", "plots=false"])
    result = train_reward_model(cfg)
    return export, result.checkpoint_dir, result.metrics


def test_evaluating_the_validation_split_reproduces_the_run(run: tuple[Path, Path, dict], tmp_path: Path) -> None:
    export, checkpoint, final = run
    out = tmp_path / "metrics.json"
    assert evaluate.main([str(checkpoint), "--data", str(export), "--split", "validation", "--output", str(out)]) == 0
    metrics = json.loads(out.read_text())[str(checkpoint)]
    for key in ("edit_pair_accuracy", "original_pair_accuracy", "token_auroc"):
        assert metrics[key] == pytest.approx(final[key], abs=1e-6)
    everything = evaluate.evaluate_checkpoints([str(checkpoint)], str(export))[str(checkpoint)]
    assert everything["edit_pairs"] > metrics["edit_pairs"]


def test_redline_commands(run: tuple[Path, Path, dict], tmp_path: Path) -> None:
    from app.cli import commands  # noqa: F401  (registers the commands)
    from app.cli.groups import root

    export, checkpoint, _ = run
    copy = shutil.copytree(checkpoint, tmp_path / "copy")
    runner = CliRunner()
    shown = runner.invoke(root, ["eval", "reward-model", str(checkpoint), str(copy), "--data", str(export)])
    assert shown.exit_code == 0, shown.output
    header, _, first = shown.output.splitlines()[:3]
    assert header.split() == ["metric", str(checkpoint), str(copy)]
    assert first.split() == ["kind", "token", "token"]
    trained = runner.invoke(root, ["train", "reward-model", "--config", "cpu-tiny", "--set", f"data_path={export}",
                                   "--set", "max_steps=4", "--set", "eval_every=0", "--output-dir", str(tmp_path / "t")])
    assert trained.exit_code == 0, trained.output
    assert "4/4" in trained.output and (tmp_path / "t" / "checkpoint" / "reward_model.json").is_file()
    bad = runner.invoke(root, ["train", "reward-model", "--config", "cpu-tiny", "--set", "token_loss=token-magic"])
    assert bad.exit_code == 2 and "token_loss" in bad.output


def test_bad_input_fails_before_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write_rows([], tmp_path / "empty.jsonl")
    out = tmp_path / "never"
    assert train_main(["--config", "cpu-tiny", "--set", f"data_path={empty}", "--output-dir", str(out)]) == 2
    assert "the export has no edits" in capsys.readouterr().err
    assert not out.exists()  # nothing was written: the run never started
    assert train_main(["--config", "cpu-tiny", "--set", "max_steps=-1"]) == 2
    assert "max_steps must be 0 or more" in capsys.readouterr().err
    assert train_main(["--config", "cpu-tiny", "--set", f"data_path={export_file(tmp_path, 4)}",
                       "--set", "model=/no/such/model"]) == 2
    assert "is not 'tiny', 'bundled' or a Hugging Face model directory" in capsys.readouterr().err


def test_trainer_runs_as_a_child_process(run: tuple[Path, Path, dict], tmp_path: Path) -> None:
    export = run[0]
    config = tmp_path / "job.yaml"
    config.write_text(f"preset: cpu-tiny\ndata_path: {export}\nmax_steps: 3\neval_every: 0\nplots: false\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "training.reward.train", "--config", str(config),
                           "--output-dir", str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines if x["split"] == "train"] == [1, 2, 3]
    assert all(x["total_steps"] == 3 for x in lines)
    refused = subprocess.run([sys.executable, "-m", "training.reward.train", "--config", "cpu-tiny", "--set",
                              "batch_size=many"], cwd=REPO, env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "'batch_size' must be an integer" in refused.stderr


@pytest.mark.slow
def test_two_process_run_gathers_validation_and_writes_once(run: tuple[Path, Path, dict], tmp_path: Path) -> None:
    """The multi-GPU code path (sharded batches, gathered scores, one writer), on two CPU processes over gloo."""
    export = run[0]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "true"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "training.reward.train",
           "--config", "cpu-tiny", "--set", f"data_path={export}", "--set", "max_steps=6", "--set", "eval_every=3",
           "--set", "plots=false", "--output-dir", str(tmp_path)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("checkpoint:") == 1
    run_info = json.loads((tmp_path / "run.json").read_text())
    assert run_info["world_size"] == 2
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    validation = [x for x in lines if x["split"] == "validation"]
    single = evaluate.evaluate_checkpoints([str(tmp_path / "checkpoint")], str(export), split="validation")
    # every held-out pair was scored once across the two processes
    assert validation[-1]["edit_pairs"] == single[str(tmp_path / "checkpoint")]["edit_pairs"]
    assert validation[-1]["edit_pair_accuracy"] == pytest.approx(
        single[str(tmp_path / "checkpoint")]["edit_pair_accuracy"])
