"""Tokenizers by spec (None or the bundled name, a local directory, a hub name, an object), their stable
names and content hashes, and the clean offset-giving backend the edit alignment encodes with.

Importing this module imports neither torch nor transformers; the bundled tokenizer's offsets backend
loads without them once its directory has been converted.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import tokenizers as hf_tokenizers

from training.bundled import BUNDLED_NAME, BundledModelError, bundled_tokenizer_dir, load_bundled_tokenizer

BACKEND_CACHE_SIZE = 16

TokenizerSpec = Any  # None | str | os.PathLike | a Hugging Face fast tokenizer | a tokenizers.Tokenizer


class TokenizerError(ValueError):
    """A tokenizer spec that cannot be loaded, or a tokenizer that cannot give character offsets."""


_lock = threading.RLock()
_loaded: dict[tuple[str, str], Any] = {}  # (spec, cache dir) -> fast tokenizer, loaded once per process
_names: dict[int, tuple[Any, str]] = {}  # id(tokenizer) -> (tokenizer, name) for those loaded here
_wrappers: dict[int, tuple[hf_tokenizers.Tokenizer, Any]] = {}  # id(bare backend) -> (backend, wrapper)
# id(object) -> (object, clean backend copy, sha256), least recently used first; holding the object
# keeps its id from being reused while the entry lives.
_backends: OrderedDict[int, tuple[Any, hf_tokenizers.Tokenizer, str]] = OrderedDict()
_bundled_backends: dict[str, tuple[hf_tokenizers.Tokenizer, str]] = {}


def _hub_disabled() -> bool:
    return any(os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}
               for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _is_bundled(spec: Any) -> bool:
    return spec is None or (isinstance(spec, str) and spec == BUNDLED_NAME)


@lru_cache(maxsize=64)
def _resolved(path: str) -> str:
    return str(Path(path).expanduser().resolve())


def _cache_key(cache_dir: str | os.PathLike[str] | None) -> str:
    """The resolved cache directory (resolved once per path: align() asks for it on every call)."""
    return _resolved(os.fspath(cache_dir)) if cache_dir is not None else ""


def _remember(key: tuple[str, str], name: str, load: Any) -> Any:
    with _lock:
        if key not in _loaded:
            try:
                tok = load()
            except BundledModelError as exc:
                raise TokenizerError(str(exc)) from exc
            _require_offsets(tok)
            _loaded[key] = tok
            _names[id(tok)] = (tok, name)
        return _loaded[key]


def _looks_like_path(spec: str) -> bool:
    return spec.startswith((".", "~", os.sep)) or spec.endswith(os.sep) or spec.count("/") > 1


def load_tokenizer(spec: TokenizerSpec = None, cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """A Hugging Face fast tokenizer for `spec`: None or "smollm2-135m-instruct" (the bundled default),
    the path of a local tokenizer directory, a hub name (only where the hub is reachable), a fast
    tokenizer object (returned as is) or a `tokenizers.Tokenizer` (wrapped). Loaded once per process."""
    if _is_bundled(spec):
        return _remember((BUNDLED_NAME, _cache_key(cache_dir)), BUNDLED_NAME,
                         lambda: load_bundled_tokenizer(cache_dir))
    if isinstance(spec, str | os.PathLike):
        text = os.fspath(spec)
        path = Path(text).expanduser()
        if path.is_dir():
            resolved = str(path.resolve())
            return _remember((resolved, ""), text, lambda: _load_local(resolved))
        if path.is_file():
            raise TokenizerError(f"{text!r} is a file: pass the directory that holds the tokenizer files")
        if isinstance(spec, os.PathLike) or _looks_like_path(text):
            raise TokenizerError(f"tokenizer directory {text!r} does not exist: pass an existing local "
                                 f"tokenizer directory or the bundled name {BUNDLED_NAME!r}")
        return _remember((text, ""), text, lambda: _load_hub(text))
    if isinstance(spec, hf_tokenizers.Tokenizer):
        return _wrap_backend(spec)
    _require_offsets(spec)
    return spec


def _load_local(path: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def _load_hub(name: str) -> Any:
    if _hub_disabled():
        raise TokenizerError(
            f"tokenizer {name!r} is neither the bundled name {BUNDLED_NAME!r} nor an existing local "
            "directory, and the model hub is switched off (HF_HUB_OFFLINE=1): pass a local tokenizer "
            "directory, or unset HF_HUB_OFFLINE where the hub is reachable"
        )
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise TokenizerError(
            f"tokenizer {name!r} could not be loaded from the model hub ({exc}); check the name and that "
            "the hub is reachable, or pass a local tokenizer directory"
        ) from exc


def _wrap_backend(backend: hf_tokenizers.Tokenizer) -> Any:
    """A fast tokenizer around a bare `tokenizers.Tokenizer` (one wrapper per object)."""
    with _lock:
        entry = _wrappers.get(id(backend))
        if entry is not None and entry[0] is backend:
            return entry[1]
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(tokenizer_object=backend)
    with _lock:
        _wrappers[id(backend)] = (backend, wrapped)
    return wrapped


def _raw_backend(tok: Any) -> hf_tokenizers.Tokenizer:
    if isinstance(tok, hf_tokenizers.Tokenizer):
        return tok
    backend = getattr(tok, "backend_tokenizer", None)
    if isinstance(backend, hf_tokenizers.Tokenizer):
        return backend
    raise TokenizerError(
        f"tokenizer {type(tok).__name__} gives no offset mapping (it is not a fast tokenizer backed by "
        "the `tokenizers` library): load its fast version (AutoTokenizer with use_fast=True, from a "
        "directory with a tokenizer.json) or pass a tokenizers.Tokenizer"
    )


def _require_offsets(tok: Any) -> None:
    _raw_backend(tok)


def _clean_copy(backend: hf_tokenizers.Tokenizer) -> tuple[hf_tokenizers.Tokenizer, str]:
    """A private copy without padding or truncation (a training call may have left them switched on in
    the shared backend), and the sha256 of its serialized JSON."""
    copy = hf_tokenizers.Tokenizer.from_str(backend.to_str())
    copy.no_padding()
    copy.no_truncation()
    return copy, hashlib.sha256(copy.to_str().encode("utf-8")).hexdigest()


def _backend_entry(tok: Any) -> tuple[hf_tokenizers.Tokenizer, str]:
    with _lock:
        entry = _backends.get(id(tok))
        if entry is not None and entry[0] is tok:
            _backends.move_to_end(id(tok))
            return entry[1], entry[2]
    copy, digest = _clean_copy(_raw_backend(tok))
    with _lock:
        _backends[id(tok)] = (tok, copy, digest)
        while len(_backends) > BACKEND_CACHE_SIZE:
            _backends.popitem(last=False)
    return copy, digest


def _bundled_backend(cache_dir: str | os.PathLike[str] | None) -> tuple[hf_tokenizers.Tokenizer, str]:
    key = _cache_key(cache_dir)
    with _lock:
        if key not in _bundled_backends:
            try:
                path = bundled_tokenizer_dir(cache_dir) / "tokenizer.json"
            except BundledModelError as exc:
                raise TokenizerError(str(exc)) from exc
            _bundled_backends[key] = _clean_copy(hf_tokenizers.Tokenizer.from_file(str(path)))
        return _bundled_backends[key]


def offsets_backend(spec: TokenizerSpec = None, cache_dir: str | os.PathLike[str] | None = None
                    ) -> tuple[hf_tokenizers.Tokenizer, str]:
    """(backend, name): a clean `tokenizers.Tokenizer` that encodes with character offsets, and the
    tokenizer's name. For None or the bundled name this needs neither torch nor transformers."""
    if _is_bundled(spec):
        return _bundled_backend(cache_dir)[0], BUNDLED_NAME
    tok = load_tokenizer(spec, cache_dir) if isinstance(spec, str | os.PathLike) else spec
    return _backend_entry(tok)[0], tokenizer_name(tok)


def tokenizer_hash(tok: TokenizerSpec) -> str:
    """sha256 of the tokenizer's serialized JSON (without padding/truncation state): equal for equal
    tokenizers, stable across loads and processes."""
    if _is_bundled(tok):
        return _bundled_backend(None)[1]
    if isinstance(tok, str | os.PathLike):
        tok = load_tokenizer(tok)
    return _backend_entry(tok)[1]


def tokenizer_name(tok: TokenizerSpec) -> str:
    """A readable name: the bundled name, the directory or hub name it was loaded from, or
    `tokenizer-<hash prefix>` for an anonymous object."""
    if _is_bundled(tok):
        return BUNDLED_NAME
    if isinstance(tok, str | os.PathLike):
        tok = load_tokenizer(tok)
    with _lock:
        entry = _names.get(id(tok))
    if entry is not None and entry[0] is tok:
        return entry[1]
    name = getattr(tok, "name_or_path", "") or ""
    if name:
        return str(name)
    return f"tokenizer-{tokenizer_hash(tok)[:12]}"
