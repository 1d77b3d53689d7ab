"""PPO prompts: read from JSONL or Parquet rows with a 'prompt' field, or a small built-in list."""

import json
from pathlib import Path

import torch

BUILTIN_PROMPTS = [
    "What is the capital of France?",
    "Give me one tip for sleeping better.",
    "Explain what a prime number is in one sentence.",
    "Name three colours of the rainbow.",
    "How many legs does a spider have?",
    "Write a short greeting for a birthday card.",
    "What does a thermometer measure?",
    "Suggest a name for a pet goldfish.",
]


def load_prompts(path: str | None) -> list[str]:
    """Unique prompts in file order; None gives the built-in list (for smoke runs only).

    Accepts JSONL (one object per line) or Parquet; each row needs 'prompt', either a string or a list
    of chat messages ({role, content}), of which the last user message is taken. Token-labels and
    preference exports repeat a prompt per edit: repeats are dropped.
    """
    if path is None:
        return list(BUILTIN_PROMPTS)
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"prompts file {file} does not exist; give a JSONL or Parquet file with a 'prompt' field")
    rows = _read_parquet(file) if file.suffix == ".parquet" else _read_jsonl(file)
    prompts = list(dict.fromkeys(_prompt_text(row, file, i) for i, row in enumerate(rows)))
    if not prompts:
        raise ValueError(f"prompts file {file} has no rows; add lines like {{\"prompt\": \"...\"}}")
    return prompts


def _read_jsonl(file: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{file}:{number} is not valid JSON ({err.msg}); write one object per line") from err
    return rows


def _read_parquet(file: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(file, columns=["prompt"]).to_pylist()


def _prompt_text(row: object, file: Path, index: int) -> str:
    prompt = row.get("prompt") if isinstance(row, dict) else None
    if isinstance(prompt, list):
        users = [m.get("content") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        prompt = users[-1] if users else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"row {index + 1} of {file} has no 'prompt' text; each row needs a non-empty 'prompt'")
    return prompt


class PromptSampler:
    """Endless shuffled passes over the prompts; every process sees the same order and takes its own slice."""

    def __init__(self, prompts: list[str], seed: int, process_index: int = 0, num_processes: int = 1):
        self.prompts = prompts
        self.generator = torch.Generator().manual_seed(seed)
        self.process_index, self.num_processes = process_index, num_processes
        self.order: list[int] = []

    def next_batch(self, batch_size: int) -> list[str]:
        """`batch_size` prompts for this process; the global batch is batch_size × processes."""
        needed = batch_size * self.num_processes
        while len(self.order) < needed:
            self.order += torch.randperm(len(self.prompts), generator=self.generator).tolist()
        chosen, self.order = self.order[:needed], self.order[needed:]
        mine = chosen[self.process_index * batch_size : (self.process_index + 1) * batch_size]
        return [self.prompts[i] for i in mine]
