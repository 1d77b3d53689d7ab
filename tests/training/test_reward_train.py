"""Reward-model training on the cpu-tiny preset: every loss learns, changes every parameter and reloads."""

import json
import math
from pathlib import Path

import pytest
import torch
import yaml

from tests.training.reward_fixtures import export_file, tiny_tokenizer
from training.config_io import load_config
from training.reward.config import PRESETS, RewardModelConfig
from training.reward.data import collate_pairs
from training.reward.dataset import load_eval_pairs
from training.reward.model import build_reward_model, load_reward_model
from training.reward.run_files import read_metrics
from training.reward.train import TrainResult, train_reward_model
from training.tiny import tiny_model_dir

# (name, overrides): the three token losses and the Bradley-Terry baseline on both kinds of pairs.
RUNS = {
    "token-bt": ["model_type=token", "token_loss=token-bt"],
    "token-class": ["model_type=token", "token_loss=token-class"],
    "token-regress": ["model_type=token", "token_loss=token-regress"],
    "sequence-edits": ["model_type=sequence", "pairs=edits"],
    "sequence-original": ["model_type=sequence", "pairs=original"],
}


def tiny_config(export: Path, out: Path, overrides: list[str]) -> RewardModelConfig:
    # weight decay off: a parameter must change through its gradient, not by decaying
    sets = [f"data_path={export}", f"output_dir={out}", "weight_decay=0", *overrides]
    return load_config(RewardModelConfig, "cpu-tiny", PRESETS, sets)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_file(tmp_path_factory.mktemp("export"), count=96)


@pytest.fixture(scope="module")
def trained(export: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[RewardModelConfig, TrainResult]]:
    root = tmp_path_factory.mktemp("runs")
    runs = {}
    for name, overrides in RUNS.items():
        cfg = tiny_config(export, root / name, overrides)
        runs[name] = (cfg, train_reward_model(cfg))
    return runs


@pytest.mark.parametrize("name", list(RUNS))
def test_loss_is_finite_and_falls(trained: dict, name: str) -> None:
    cfg, result = trained[name]
    rows = read_metrics(result.output_dir / "metrics.jsonl")
    assert all("step" in r and r["total_steps"] == cfg.max_steps for r in rows)
    losses = [r["loss"] for r in rows if r["split"] == "train"]
    assert len(losses) == cfg.max_steps and all(math.isfinite(x) for x in losses)
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5


@pytest.mark.parametrize("name", list(RUNS))
def test_every_trainable_parameter_changes(trained: dict, name: str) -> None:
    cfg, result = trained[name]
    initial = build_reward_model(tiny_model_dir(), cfg.model_type, cfg.loss_name, None, cfg.seed)
    before = dict(initial.named_parameters())
    after = dict(result.model.named_parameters())
    assert before.keys() == after.keys()
    unchanged = [k for k, p in after.items() if p.requires_grad and torch.equal(p.detach(), before[k].detach())]
    assert unchanged == []


@pytest.mark.parametrize("name", list(RUNS))
def test_checkpoint_reloads_with_the_same_rewards(trained: dict, export: Path, name: str) -> None:
    cfg, result = trained[name]
    loaded = load_reward_model(result.checkpoint_dir)
    assert (loaded.kind, loaded.loss) == (cfg.model_type, cfg.loss_name)
    assert loaded.tokenizer.get_vocab() == tiny_tokenizer().get_vocab()
    edits, _, _ = load_eval_pairs(str(export), loaded.tokenizer, 128)
    batch = collate_pairs(edits[:6], loaded.tokenizer.pad_token_id)
    result.model.eval()
    for fn in ("score_tokens", "score_sequences"):
        fresh = getattr(loaded, fn)(batch["input_ids"], batch["attention_mask"])
        kept = getattr(result.model, fn)(batch["input_ids"], batch["attention_mask"])
        assert torch.allclose(fresh, kept, atol=1e-5), fn


@pytest.mark.parametrize("name", ["token-bt", "token-class", "token-regress"])
def test_easy_edits_give_clearly_better_than_chance_token_auroc(trained: dict, name: str) -> None:
    _, result = trained[name]
    assert result.metrics["token_auroc"] >= 0.75  # chance is 0.5
    assert result.metrics["token_auroc_removed"] >= 0.75
    assert result.metrics["token_auroc_inserted"] >= 0.75
    assert result.metrics["edit_pair_accuracy"] >= 0.8


@pytest.mark.parametrize(("name", "metric"), [("sequence-edits", "edit_pair_accuracy"),
                                              ("sequence-original", "original_pair_accuracy")])
def test_sequence_baseline_learns_its_pairs(trained: dict, name: str, metric: str) -> None:
    _, result = trained[name]
    assert result.metrics[metric] >= 0.8
    assert "token_auroc" not in result.metrics


def test_run_records_provenance_config_and_plot(trained: dict, export: Path) -> None:
    cfg, result = trained["token-bt"]
    out = result.output_dir
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == cfg.seed and run["loss"] == "token-bt" and run["finished_steps"] == cfg.max_steps
    assert run["export"]["export_id"] == "test-export-0" and len(run["export"]["content_hash"]) == 64
    assert run["packages"]["torch"] == torch.__version__.split("+")[0] or run["packages"]["torch"] == torch.__version__
    assert run["git_commit"] and run["tokenizer_hash"]
    assert run["data"]["train_pairs"] > 0 and run["data"]["validation_prompts"] > 0
    assert load_config(RewardModelConfig, out / "run_config.yaml", PRESETS) == cfg
    assert yaml.safe_load((result.checkpoint_dir / "training_config.yaml").read_text())["token_loss"] == "token-bt"
    assert (out / "training.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "eval.json").read_text())["step"] == cfg.max_steps
    for name in ("model.safetensors", "reward_head.safetensors", "reward_model.json", "tokenizer.json"):
        assert (result.checkpoint_dir / name).is_file()
    validation = [r for r in read_metrics(out / "metrics.jsonl") if r["split"] == "validation"]
    assert [r["step"] for r in validation] == [0, 20, 40]


def test_score_api_for_ppo(trained: dict, export: Path) -> None:
    token = load_reward_model(trained["token-bt"][1].checkpoint_dir)
    sequence = load_reward_model(trained["sequence-edits"][1].checkpoint_dir)
    edits, _, _ = load_eval_pairs(str(export), token.tokenizer, 128)
    batch = collate_pairs(edits[:4], token.tokenizer.pad_token_id)
    ids, mask = batch["input_ids"], batch["attention_mask"]  # (8, T)
    response = batch["labels"] != -100
    per_token = token.score_tokens(ids, mask)
    assert per_token.shape == ids.shape and (per_token[mask == 0] == 0).all()
    assert torch.allclose(token.score_sequences(ids, mask, response), (per_token * response).sum(1), atol=1e-5)
    assert torch.allclose(token.score_sequences(ids, mask), per_token.sum(1), atol=1e-5)
    placed = sequence.score_tokens(ids, mask)
    last = mask.sum(1) - 1
    assert ((placed != 0).sum(1) <= 1).all()
    assert torch.allclose(placed[torch.arange(8), last], sequence.score_sequences(ids, mask), atol=1e-6)


def test_lora_trains_adapters_and_head_and_saves_a_merged_trunk(export: Path, tmp_path: Path) -> None:
    cfg = tiny_config(export, tmp_path, ["lora=true", "lora_target_modules=q_proj,v_proj", "lora_r=4",
                                         "max_steps=12", "eval_every=0", "plots=false"])
    initial = build_reward_model(tiny_model_dir(), "token", cfg.loss_name, None, cfg.seed)
    result = train_reward_model(cfg)
    loaded = load_reward_model(result.checkpoint_dir)
    assert not any("lora" in k for k in loaded.state_dict())
    before, after = initial.state_dict(), loaded.state_dict()
    assert before.keys() == after.keys()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    adapted = {k for k in before if ".q_proj." in k or ".v_proj." in k}
    # the adapters were trained and merged into their layers; every other trunk weight stayed frozen
    assert changed == adapted | {"head.weight", "head.bias"}
    edits, _, _ = load_eval_pairs(str(export), loaded.tokenizer, 128)
    batch = collate_pairs(edits[:4], loaded.tokenizer.pad_token_id)
    result.model.eval()
    assert torch.allclose(loaded.score_tokens(batch["input_ids"], batch["attention_mask"]),
                          result.model.score_tokens(batch["input_ids"], batch["attention_mask"]), atol=1e-5)


def test_a_cpu_run_pins_the_mmap_threshold_it_is_given(export: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import training.reward.train as train_module

    pinned: list[int] = []
    monkeypatch.setattr(train_module, "pin_mmap_threshold", lambda size: pinned.append(size) or True)
    train_reward_model(tiny_config(export, tmp_path / "default", ["max_steps=1", "eval_every=0", "plots=false"]))
    assert pinned == []  # glibc's own behaviour unless asked
    train_reward_model(tiny_config(export, tmp_path / "pinned", ["max_steps=1", "eval_every=0", "plots=false",
                                                                 "cpu_mmap_threshold_mib=4"]))
    assert pinned == [4 * 1024 * 1024]
