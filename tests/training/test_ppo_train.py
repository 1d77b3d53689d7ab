"""training.ppo.train: short cpu-tiny runs in every reward mode, with LoRA, and through the command line."""

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from tests.training.ppo_scorers import CountScorer, TokenIdScorer
from training.ppo.config import PPOConfig, preset
from training.ppo.policy import load_policy_tokenizer
from training.ppo.train import main, train_ppo
from training.tiny import tiny_model_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model_dir(tmp_path_factory.mktemp("models"))


def stand_in_scorers(tiny: Path) -> dict:
    tokenizer = load_policy_tokenizer(tiny)
    favoured = tokenizer.convert_tokens_to_ids("Ġthe")
    return {"token": TokenIdScorer(tokenizer, favoured), "sequence": CountScorer(tokenizer, favoured)}


def tiny_config(tiny: Path, out: Path, **changes: object) -> PPOConfig:
    return replace(preset("cpu-tiny"), policy=str(tiny), output_dir=str(out), **changes)


def read_metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def changed_weights(before: Path, after: Path) -> tuple[list[str], list[str]]:
    old, new = load_file(before / "model.safetensors"), load_file(after / "model.safetensors")
    assert old.keys() == new.keys()
    changed = [k for k in old if not torch.equal(old[k], new[k])]
    return changed, [k for k in old if k not in changed]


@pytest.mark.parametrize("mode", ["sequence", "token", "token+sequence"])
def test_cpu_tiny_run_in_each_mode_trains_every_weight_with_finite_losses(
    tiny: Path, tmp_path: Path, mode: str
) -> None:
    rows_seen: list[dict] = []
    config = tiny_config(tiny, tmp_path, reward_mode=mode, kl_estimator="k3", gold_judge=
                         "tests.training.ppo_scorers:word_count_judge", plots=mode == "token")
    checkpoint = train_ppo(config, on_step=rows_seen.append, scorers=stand_in_scorers(tiny))
    rows = read_metrics(tmp_path)
    assert rows == rows_seen and [r["step"] for r in rows] == [1, 2]
    for row in rows:
        assert row["total_steps"] == 2 and row["reward_mode"] == mode
        for key in ("reward", "kl", "entropy", "value_loss", "policy_loss", "clip_fraction", "gold_score",
                    "response_length", "time_generation", "time_logprobs", "time_reward_models", "time_update"):
            assert math.isfinite(row[key]), key
        assert row["kl"] >= 0  # k3 never goes negative
    assert rows[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # the first rollout comes from the reference itself
    samples = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert [s["step"] for s in samples] == [1] * 4 + [2] * 4  # every response of both batches
    assert rows[1]["gold_score"] == pytest.approx(sum(s["gold_score"] for s in samples[4:]) / 4)
    assert rows[1]["reward"] == pytest.approx(sum(s["reward"] for s in samples[4:]) / 4, abs=1e-5)
    assert ("token_reward" in rows[0]) == (mode != "sequence")
    assert ("sequence_score" in rows[0]) == (mode != "token")
    changed, unchanged = changed_weights(tiny, checkpoint)
    assert unchanged == [], f"weights that never moved: {unchanged}"
    head = load_file(checkpoint / "value_head.safetensors")
    assert set(head) == {"weight", "bias"} and all(torch.isfinite(t).all() for t in head.values())
    assert AutoModelForCausalLM.from_pretrained(checkpoint) is not None
    assert (checkpoint / "tokenizer.json").is_file()
    assert (tmp_path / "metrics.png").is_file() == (mode == "token")
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["seed"] == 0 and provenance["packages"]["torch"]
    assert json.loads((tmp_path / "config.json").read_text())["reward_mode"] == mode


def test_lora_run_keeps_base_weights_and_uses_adapters_off_as_reference(tiny: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny, tmp_path, reward_mode="token", lora=True, lora_r=4, total_steps=3,
                         learning_rate=5e-3)
    checkpoint = train_ppo(config, scorers=stand_in_scorers(tiny))
    rows = read_metrics(tmp_path)
    assert rows[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # adapters start at zero: policy == reference
    assert all(math.isfinite(r["kl"]) for r in rows) and rows[-1]["kl"] != 0.0
    changed, unchanged = changed_weights(tiny, checkpoint)
    # the merged checkpoint moves exactly the adapted projections; embeddings and norms stay as they were
    assert changed and all(any(p in k for p in ("q_proj", "k_proj", "v_proj", "o_proj")) for k in changed)
    assert any("embed_tokens" in k for k in unchanged)


def test_same_seed_gives_the_same_run(tiny: Path, tmp_path: Path) -> None:
    first = train_ppo(tiny_config(tiny, tmp_path / "a", reward_mode="sequence"), scorers=stand_in_scorers(tiny))
    second = train_ppo(tiny_config(tiny, tmp_path / "b", reward_mode="sequence"), scorers=stand_in_scorers(tiny))
    a, b = load_file(first / "model.safetensors"), load_file(second / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_reward_mode_without_its_model_is_refused_with_the_field_to_set(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="token_reward_model"):
        train_ppo(tiny_config(tiny, tmp_path, reward_mode="token"))
    scorers = stand_in_scorers(tiny)
    with pytest.raises(ValueError, match="sequence reward model"):
        train_ppo(tiny_config(tiny, tmp_path, reward_mode="sequence"), scorers={"token": scorers["token"]})


def test_main_exits_non_zero_with_a_clear_message_on_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "cpu-tiny", "--set", "reward_mode=tokens"]) == 2
    assert "reward_mode 'tokens' is unknown" in capsys.readouterr().err
    assert main(["--config", "no-such-preset"]) == 2
    assert "neither a preset" in capsys.readouterr().err
    assert main(["--config", "cpu-tiny", "--set", "batch_size=3"]) == 2
    assert "mini_batch_size 2 must divide batch_size 3" in capsys.readouterr().err


def test_command_line_run_with_real_tiny_reward_models(tiny: Path, tmp_path: Path) -> None:
    from training.reward.model import build_reward_model, save_reward_model

    tokenizer = load_policy_tokenizer(tiny)
    for kind, loss in (("token", "token-bt"), ("sequence", "sequence-bt")):
        save_reward_model(build_reward_model(tiny, kind, loss, tokenizer, seed=0), tmp_path / f"rm-{kind}")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ["Name a colour.", "Say hello."]))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "training.ppo.train", "--config", "cpu-tiny", "--output-dir", str(out),
           "--set", f"policy={tiny}", "--set", "reward_mode=token+sequence", "--set", f"data_path={prompts}",
           "--set", f"token_reward_model={tmp_path / 'rm-token'}",
           "--set", f"sequence_reward_model={tmp_path / 'rm-sequence'}"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "step 2/2" in done.stdout and (out / "checkpoint" / "model.safetensors").is_file()
    rows = read_metrics(out)
    assert len(rows) == 2 and all(math.isfinite(r["token_reward"]) and r["sequence_score"] != 0 for r in rows)
