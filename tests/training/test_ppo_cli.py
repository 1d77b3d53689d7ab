"""`redline train ppo` then `redline eval win-rate` on the trained checkpoint, and their errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import app.cli.commands  # noqa: F401  (registers the commands)
from app.cli.groups import root
from training.ppo.policy import load_policy_tokenizer
from training.tiny import tiny_model_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model_dir(tmp_path_factory.mktemp("models"))


def test_train_ppo_then_win_rate_of_the_checkpoint_against_its_start(tiny: Path, tmp_path: Path) -> None:
    from training.reward.model import build_reward_model, save_reward_model

    save_reward_model(build_reward_model(tiny, "sequence", "sequence-bt", load_policy_tokenizer(tiny), seed=0),
                      tmp_path / "rm")
    trained = runner.invoke(root, ["train", "ppo", "--config", "cpu-tiny", "--output-dir", str(tmp_path / "ppo"),
                                   "--set", f"policy={tiny}", "--set", "reward_mode=sequence",
                                   "--set", f"sequence_reward_model={tmp_path / 'rm'}"])
    assert trained.exit_code == 0, trained.output
    checkpoint = tmp_path / "ppo" / "checkpoint"
    assert f"checkpoint: {checkpoint}" in trained.stdout
    assert len((tmp_path / "ppo" / "metrics.jsonl").read_text().splitlines()) == 2
    judged = runner.invoke(root, ["eval", "win-rate", "--config", "cpu-tiny", "--policy", str(checkpoint),
                                  "--reference", str(tiny), "--max-prompts", "3",
                                  "--output-dir", str(tmp_path / "eval")])
    assert judged.exit_code == 0, judged.output
    summary = json.loads((tmp_path / "eval" / "win_rate.json").read_text())
    assert summary["n"] == 3 and summary["config"]["policy"] == str(checkpoint)
    assert f"over 3 prompts: {summary['wins']} wins, {summary['ties']} ties" in judged.stdout


def test_bad_input_exits_2_with_the_problem_named(tmp_path: Path) -> None:
    bad_mode = runner.invoke(root, ["train", "ppo", "--config", "cpu-tiny", "--set", "kl_estimator=k2"])
    assert bad_mode.exit_code == 2 and "kl_estimator 'k2' is unknown" in bad_mode.stderr
    no_model = runner.invoke(root, ["train", "ppo", "--config", "cpu-tiny", "--output-dir", str(tmp_path)])
    assert no_model.exit_code == 2 and "needs token_reward_model" in no_model.stderr
    bad_judge = runner.invoke(root, ["eval", "win-rate", "--judge", "gpt"])
    assert bad_judge.exit_code == 2 and "judge 'gpt' is unknown" in bad_judge.stderr
    no_prompts = runner.invoke(root, ["eval", "win-rate", "--config", "cpu-tiny", "--prompts", str(tmp_path / "x")])
    assert no_prompts.exit_code == 2 and "does not exist" in no_prompts.stderr
