"""The Claude judge against a fake Messages server on 127.0.0.1: both orders, position bias cancelled."""

import pytest

from tests.training.fake_claude_judge import between, fake_claude, prefers_word
from training.evaluation.judges import JUDGE_SYSTEM, ClaudeJudge, load_judge


def test_unbiased_verdicts_are_read_in_both_orders() -> None:
    with fake_claude(prefers_word("good")) as (url, received):
        judge = ClaudeJudge("claude-test-model", base_url=url, api_key="test-key", concurrency=2)
        probabilities = judge.compare(["Q1", "Q2"], ["a good answer", "a poor answer"],
                                      ["a poor answer", "a good answer"])
    assert probabilities == [1.0, 0.0]
    assert len(received) == 4  # two orders per pair
    assert all(r["path"] == "/v1/messages" and r["model"] == "claude-test-model" for r in received)
    assert all(r["api_key"] == "test-key" and r["system"] == JUDGE_SYSTEM for r in received)
    orders = {(between(r["messages"][0]["content"], "response_a"), between(r["messages"][0]["content"], "response_b"))
              for r in received}
    assert orders == {("a good answer", "a poor answer"), ("a poor answer", "a good answer")}
    assert all(between(r["messages"][0]["content"], "prompt") in ("Q1", "Q2") for r in received)


def test_a_judge_that_always_says_a_is_cancelled_to_a_tie() -> None:
    with fake_claude(lambda body: "A") as (url, _):
        judge = ClaudeJudge(base_url=url, api_key="k")
        assert judge.compare(["Q"], ["x"], ["y"]) == [0.5]


def test_unreadable_answers_count_as_half_and_are_counted() -> None:
    answers = iter(["B", "I cannot decide."])
    with fake_claude(lambda body: next(answers)) as (url, _):
        judge = ClaudeJudge(base_url=url, api_key="k", concurrency=1)
        # first order says B (a loses: 0), second order is unreadable (0.5)
        assert judge.compare(["Q"], ["x"], ["y"]) == [0.25]
    assert judge.unparsed == 1


def test_base_url_and_key_come_from_the_sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_claude(prefers_word("yes")) as (url, received):
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
        judge = load_judge("claude", claude_model="claude-env-model")
        assert judge.compare(["Q"], ["no"], ["yes"]) == [0.0]
    assert {r["api_key"] for r in received} == {"env-key"} and received[0]["model"] == "claude-env-model"


def test_missing_key_is_refused_with_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY"):
        ClaudeJudge(base_url="http://127.0.0.1:9")
