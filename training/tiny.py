"""A tiny random-initialised causal LM and its byte-level BPE tokenizer, made on the fly for tests and demos.

`tiny_model_dir()` builds both once (a few hundred milliseconds), saves them with `save_pretrained` under the
model cache, and returns the directory; later calls return the cached copy. The build is deterministic
by seed. The tokenizer mirrors the bundled SmolLM2 one: ChatML template, `<|im_end|>` as both EOS and pad.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

TINY_NAME = "tiny"
# Bump when the recipe changes, so stale caches are never reused.
TINY_VERSION = 1
VOCAB_SIZE = 512

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Built-in training text for the BPE merges: plain English plus a little markup, digits and code.
_CORPUS = """\
The quick brown fox jumps over the lazy dog. A minimal edit changes only what is necessary.
Annotators read the prompt and the response, then fix the words that make the answer worse.
The capital of France is Paris. Water boils at 100 degrees Celsius at sea level.
Please write a short poem about the sea. The waves roll in and out under a grey sky.
Basically, um, I think that maybe the answer is probably correct, you know.
Here is a list:
- first item
- second item
1. one 2. two 3. three 4. four 5. five 6. six 7. seven 8. eight 9. nine 10. ten
def add(a, b):
    return a + b
Summarise the article in two sentences. The report says sales rose by 12 percent this year.
Thank you for your question! I am happy to help. Let me explain step by step.
Cats and dogs are popular pets; birds, fish and rabbits are common too.
The reward model learns which tokens made a response better or worse.
Good, bad, right, wrong, true, false, yes, no, always, never, sometimes, often.
"""


def default_cache_dir() -> Path:
    """Where converted and generated models live: $MODEL_CACHE_DIR, else var/models in the repository."""
    env = os.environ.get("MODEL_CACHE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "var" / "models"


def build_tiny_tokenizer():
    """Train a byte-level BPE on the built-in corpus and wrap it as a fast tokenizer with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS.splitlines(), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        model_max_length=512,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def build_tiny_model(tokenizer, seed: int = 0):
    """A 2-layer Llama with hidden size 64, initialised from `seed`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    fork_devices: list[int] = []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    return model.eval()


def tiny_model_dir(cache_dir: str | Path | None = None, seed: int = 0) -> Path:
    """The directory of the tiny model and tokenizer, built on first use and reused afterwards."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / f"{TINY_NAME}-v{TINY_VERSION}-seed{seed}"
    if (target / "config.json").is_file() and (target / "tokenizer.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    # Build in a private folder and rename it into place, so concurrent builders never see half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        tokenizer = build_tiny_tokenizer()
        model = build_tiny_model(tokenizer, seed=seed)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
