"""Prices per model, the cost of a call, and the worst-case cost of a call not yet made."""

import math
import re
from dataclasses import dataclass

# USD per million tokens (input, output), from anthropic.com/pricing. Dated model ids
# (claude-sonnet-4-5-20250929) are priced as their alias.
PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4-0": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4-0": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
}
# The Message Batches API bills half the Messages API price.
BATCH_DISCOUNT = 0.5
_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)$")


class PriceUnknownError(ValueError):
    """A model with no entry in PRICES."""


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int

    def as_dict(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


def price_for(model: str) -> tuple[float, float]:
    key = _DATE_SUFFIX.sub("", model)
    if key not in PRICES:
        raise PriceUnknownError(
            f"no price known for model {model!r}; known: {', '.join(sorted(PRICES))} "
            "(add it to PRICES in app/services/autoedit/pricing.py)"
        )
    return PRICES[key]


def is_priced(model: str) -> bool:
    try:
        price_for(model)
    except PriceUnknownError:
        return False
    return True


def cost_usd(model: str, usage: Usage, batch_api: bool = False) -> float:
    """What a call cost; 0 for a model without a price (a gateway's own model name)."""
    if not is_priced(model):
        return 0.0
    per_in, per_out = price_for(model)
    cost = (usage.input_tokens * per_in + usage.output_tokens * per_out) / 1e6
    return cost * (BATCH_DISCOUNT if batch_api else 1.0)


def estimate_tokens(text: str) -> int:
    """A generous token count: English runs near 4 characters a token, so 1 per 2.5 ASCII
    characters (and 1.5 per other character, for scripts that tokenize densely) rarely falls short."""
    ascii_chars = sum(1 for ch in text if ch < "\x80")
    return math.ceil(ascii_chars / 2.5 + (len(text) - ascii_chars) * 1.5)


def worst_case_cost_usd(model: str, prompt_text: str, max_tokens: int, batch_api: bool = False) -> float:
    """The most a call can cost: its estimated input plus every output token it may write."""
    return cost_usd(model, Usage(estimate_tokens(prompt_text) + 16, max_tokens), batch_api)
