"""Pairwise judges: each gives P(response a is better than response b) for a prompt.

Specs: 'claude' (the Messages API, each pair asked in both orders), 'reward-model:PATH' (Bradley-Terry
on a trained reward model's scores) and 'python:module:function' (any f(prompt, a, b) -> float).
"""

import importlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import torch

JUDGE_SYSTEM = (
    "You judge which of two assistant responses to the same user prompt is better. A better response is "
    "correct, helpful and to the point; filler, hedging, unsafe content, repetition and rambling past "
    "what was asked make a response worse."
)
JUDGE_QUESTION = (
    "<prompt>\n{prompt}\n</prompt>\n\n<response_a>\n{a}\n</response_a>\n\n<response_b>\n{b}\n</response_b>\n\n"
    "Which response is better? Answer with exactly one letter: A or B."
)
VERDICT = re.compile(r"\b([AB])\b")


class Judge(Protocol):
    """P(a better than b) for each (prompt, a, b)."""

    name: str

    def compare(self, prompts: list[str], a: list[str], b: list[str]) -> list[float]: ...


class PythonJudge:
    """Calls a user function f(prompt, a, b) -> float in [0, 1], one pair at a time."""

    def __init__(self, spec: str):
        self.name = f"python:{spec}"
        self.function = import_function(spec)

    def compare(self, prompts: list[str], a: list[str], b: list[str]) -> list[float]:
        out = []
        for prompt, first, second in zip(prompts, a, b, strict=True):
            p = float(self.function(prompt, first, second))
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"judge {self.name} returned {p}; it must return a probability in [0, 1]")
            out.append(p)
        return out


class RewardModelJudge:
    """sigmoid(score(a) - score(b)) from a trained reward model (sum of r_t for a token model)."""

    def __init__(self, path: str, device: str | torch.device | None = None, batch_size: int = 8):
        from training.reward.model import load_reward_model

        self.name = f"reward-model:{path}"
        self.model = load_reward_model(path, device=device)
        self.device = device or "cpu"
        self.batch_size = batch_size

    @torch.no_grad()
    def scores(self, prompts: list[str], responses: list[str]) -> torch.Tensor:
        """(N,) scores of prompt + response, formatted as the reward model was trained."""
        from training.chat_format import encode_prompt_response
        from training.ops import pad_sequences

        out = []
        for start in range(0, len(prompts), self.batch_size):
            rows = [encode_prompt_response(self.model.tokenizer, p, r)
                    for p, r in zip(prompts[start:start + self.batch_size],
                                    responses[start:start + self.batch_size], strict=True)]
            ids = pad_sequences([list(r[0]) for r in rows], self.model.tokenizer.pad_token_id)  # (b, T)
            attention = pad_sequences([[1] * len(r[0]) for r in rows], 0)  # (b, T)
            response_mask = pad_sequences([list(r[1]) for r in rows], 0, length=ids.shape[1])  # (b, T)
            scores = self.model.score_sequences(ids.to(self.device), attention.to(self.device),
                                                response_mask.to(self.device))
            out.append(scores.float().cpu())
        return torch.cat(out)

    def compare(self, prompts: list[str], a: list[str], b: list[str]) -> list[float]:
        return torch.sigmoid(self.scores(prompts, a) - self.scores(prompts, b)).tolist()


class ClaudeJudge:
    """Asks Claude for a verdict on each pair in both orders and averages them, cancelling position bias.

    P = (1[a wins as A] + 1[a wins as B]) / 2, so 0, 0.5 or 1; an answer that names neither letter counts
    as 0.5 for that order and is counted in `unparsed`.
    """

    def __init__(self, model: str = "claude-sonnet-4-5", base_url: str | None = None, api_key: str | None = None,
                 concurrency: int = 4, client: Any = None):
        import anthropic

        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if client is None and not key:
            raise ValueError("the claude judge needs an API key: set ANTHROPIC_API_KEY (or pass api_key)")
        self.name = f"claude:{model}"
        self.model, self.concurrency, self.unparsed = model, concurrency, 0
        self.client = client or anthropic.Anthropic(api_key=key, base_url=base_url)

    def verdict(self, prompt: str, first: str, second: str) -> str | None:
        """'A', 'B' or None for one ordering."""
        message = self.client.messages.create(
            model=self.model, max_tokens=5, system=JUDGE_SYSTEM,
            messages=[{"role": "user", "content": JUDGE_QUESTION.format(prompt=prompt, a=first, b=second)}],
        )
        text = "".join(getattr(block, "text", "") for block in message.content).strip()
        match = VERDICT.search(text)
        return match.group(1) if match else None

    def compare_one(self, prompt: str, a: str, b: str) -> float:
        votes = []
        for verdict, a_letter in ((self.verdict(prompt, a, b), "A"), (self.verdict(prompt, b, a), "B")):
            if verdict is None:
                self.unparsed += 1
                votes.append(0.5)
            else:
                votes.append(1.0 if verdict == a_letter else 0.0)
        return sum(votes) / 2

    def compare(self, prompts: list[str], a: list[str], b: list[str]) -> list[float]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self.compare_one, prompts, a, b))


def import_function(spec: str) -> Callable[..., Any]:
    """The function named by 'package.module:function'."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"{spec!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import {module_name!r} for judge {spec!r}: {err}") from err
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"{module_name} has no function {function_name!r} (judge {spec!r})")
    return function


def load_judge(spec: str, *, claude_model: str = "claude-sonnet-4-5", base_url: str | None = None,
               concurrency: int = 4, device: str | torch.device | None = None) -> Judge:
    """A judge from its spec: 'claude', 'reward-model:PATH' or 'python:module:function'."""
    if spec == "claude":
        return ClaudeJudge(claude_model, base_url=base_url, concurrency=concurrency)
    if spec.startswith("reward-model:"):
        return RewardModelJudge(spec.removeprefix("reward-model:"), device=device)
    if spec.startswith("python:"):
        return PythonJudge(spec.removeprefix("python:"))
    raise ValueError(f"judge {spec!r} is unknown; use 'claude', 'reward-model:PATH' or 'python:module:function'")


def prefer_shorter(prompt: str, a: str, b: str) -> float:
    """A transparent baseline judge for smoke runs: the shorter response wins, equal lengths tie."""
    if len(a) == len(b):
        return 0.5
    return 1.0 if len(a) < len(b) else 0.0
