"""training.tiny: the tiny model and tokenizer are built once, cached, deterministic by seed and usable."""

import os
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from training.tiny import tiny_model_dir


def test_tiny_dir_is_cached_and_deterministic(tmp_path: Path) -> None:
    first = tiny_model_dir(tmp_path / "a")
    stamp = os.stat(first / "model.safetensors").st_mtime_ns
    assert tiny_model_dir(tmp_path / "a") == first
    assert os.stat(first / "model.safetensors").st_mtime_ns == stamp  # reused, not rebuilt
    second = tiny_model_dir(tmp_path / "b")
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()
    weights_a, weights_b = load_file(first / "model.safetensors"), load_file(second / "model.safetensors")
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    other = load_file(tiny_model_dir(tmp_path / "a", seed=1) / "model.safetensors")
    assert not all(torch.equal(weights_a[k], other[k]) for k in weights_a)
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]  # no staging left


def test_tiny_tokenizer_and_model_work_together(tmp_path: Path) -> None:
    path = tiny_model_dir(tmp_path)
    tok = AutoTokenizer.from_pretrained(path)
    assert tok.pad_token == tok.eos_token == "<|im_end|>"  # as in the bundled SmolLM2
    text = tok.apply_chat_template(
        [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue, um, basically."}],
        tokenize=False,
    )
    assert text.startswith("<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n")
    encoded = tok(text, return_offsets_mapping=True)
    assert tok.decode(encoded["input_ids"]) == text  # byte-level: lossless on any text
    assert encoded["offset_mapping"][-1][1] == len(text)
    assert tok.decode(tok("naïve café ✓")["input_ids"]) == "naïve café ✓"
    model = AutoModelForCausalLM.from_pretrained(path)
    logits = model(torch.tensor([encoded["input_ids"]])).logits
    assert logits.shape == (1, len(encoded["input_ids"]), len(tok))
    assert torch.isfinite(logits).all()
