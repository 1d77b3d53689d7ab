"""Prices, the cost of a call, and the worst case reserved before one."""

import pytest

from app.services.autoedit.pricing import (
    PriceUnknownError,
    Usage,
    cost_usd,
    estimate_tokens,
    price_for,
    worst_case_cost_usd,
)


def test_cost_follows_the_price_table_and_the_batch_discount() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
    assert cost_usd("claude-sonnet-4-5", usage) == pytest.approx(3.0 + 1.5)
    assert cost_usd("claude-sonnet-4-5-20250929", usage) == pytest.approx(4.5)  # dated id, same price
    assert cost_usd("claude-haiku-4-5", usage, batch_api=True) == pytest.approx((1.0 + 0.5) / 2)


def test_an_unknown_model_has_no_price() -> None:
    with pytest.raises(PriceUnknownError, match="add it to PRICES"):
        price_for("my-gateway-model")
    assert cost_usd("my-gateway-model", Usage(10, 10)) == 0.0


def test_the_token_estimate_is_generous_for_english_and_dense_scripts() -> None:
    english = "The quick brown fox jumps over the lazy dog. " * 20
    assert estimate_tokens(english) >= len(english) / 4  # Claude's tokenizer: about 4 characters a token
    assert estimate_tokens("日本語の文章です" * 10) >= 80


def test_the_worst_case_counts_every_output_token_allowed() -> None:
    worst = worst_case_cost_usd("claude-sonnet-4-5", "x" * 2500, max_tokens=1000)
    assert worst == pytest.approx(((1000 + 16) * 3 + 1000 * 15) / 1e6)
