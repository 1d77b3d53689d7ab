"""The SDK client against the fake API: endpoints, how each failure is sorted, and the key kept out of text."""

import logging

import anthropic
import pytest

from app.config import Settings
from app.services.autoedit.client import (
    FatalApiError,
    RetryableApiError,
    _cached_client,
    build_client,
    call_model,
    redact,
    reply_from_body,
    reply_from_message,
    retry_after_s,
)
from app.services.autoedit.prompt import render_prompt
from tests.autoedit.conftest import API_KEY
from tests.fakes.fake_anthropic import FakeAnthropic

MODEL = "claude-sonnet-4-5"


def request_for(rejected: str) -> dict:
    return render_prompt("v1", "What colour is the sky?", "Blue.", rejected).as_request(MODEL, 200)


@pytest.fixture
def server():
    with FakeAnthropic(expected_key=API_KEY, retry_after_s=7, slow_s=2.0) as fake:
        yield fake


def client_for(server: FakeAnthropic, key: str = API_KEY, timeout: float = 5.0):
    return build_client(Settings(anthropic_api_key=key, anthropic_base_url=server.base_url), timeout)


def test_the_json_body_reads_as_the_typed_message_would() -> None:
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "stop_sequence": None,
            "content": [{"type": "text", "text": "Fixed.\n"}, {"type": "tool_use", "id": "t1", "name": "n", "input": {}},
                        {"type": "text", "text": "More."}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 12, "output_tokens": 5}}
    reply = reply_from_body(body)
    assert reply == reply_from_message(anthropic.types.Message.model_validate(body))
    assert (reply.text, reply.usage.input_tokens, reply.stop_reason) == ("Fixed.\nMore.", 12, "max_tokens")


def test_a_normal_answer_carries_text_and_usage(server: FakeAnthropic) -> None:
    reply = call_model(client_for(server), request_for("The sky is wrong green."))
    assert "The sky is right green." in reply.text and reply.stop_reason == "end_turn"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


@pytest.mark.parametrize(("marker", "status"), [("rate_limit", 429), ("overloaded", 529), ("server_error", 500)])
def test_rate_limits_and_server_errors_are_retryable(server: FakeAnthropic, marker: str, status: int) -> None:
    with pytest.raises(RetryableApiError) as caught:
        call_model(client_for(server), request_for(f"Green. [[fake:{marker}]]"))
    assert caught.value.status == status
    assert caught.value.retry_after == (7.0 if status == 429 else None)


def test_a_timeout_is_retryable(server: FakeAnthropic) -> None:
    with pytest.raises(RetryableApiError, match="timed out"):
        call_model(client_for(server, timeout=0.3), request_for("Green. [[fake:slow]]"))


def test_bad_requests_and_bad_keys_stop_with_a_clear_message(server: FakeAnthropic) -> None:
    with pytest.raises(FatalApiError, match=r"400 invalid_request_error.*check the model name"):
        call_model(client_for(server), request_for("Green. [[fake:bad_request]]"))
    with pytest.raises(FatalApiError, match=r"API key was refused \(401.*ANTHROPIC_API_KEY") as caught:
        call_model(client_for(server, key="sk-ant-wrong"), request_for("Green."))
    assert caught.value.status == 401


def test_no_key_at_all_is_fatal_before_any_request(server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    client = _cached_client(None, server.base_url, 5.0)
    with pytest.raises(FatalApiError, match="no Anthropic API key"):
        call_model(client, request_for("Green."))
    assert server.stats.messages_calls == 0


def test_the_sdk_base_url_variable_works_and_the_setting_overrides_it(
    server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    from_env = build_client(Settings(anthropic_api_key=API_KEY, anthropic_base_url=None), 5.0)
    assert str(from_env.base_url).rstrip("/") == server.base_url
    assert call_model(from_env, request_for("Green.")).text
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    explicit = build_client(Settings(anthropic_api_key=API_KEY, anthropic_base_url=server.base_url), 5.0)
    assert call_model(explicit, request_for("Green.")).text


def test_retry_after_accepts_seconds_and_dates() -> None:
    class Response:
        def __init__(self, value: str):
            self.headers = {"retry-after": value}

    assert retry_after_s(Response("2.5")) == 2.5
    assert retry_after_s(Response("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0  # a date in the past
    assert retry_after_s(Response("soon")) is None
    assert retry_after_s(None) is None


def test_an_echoing_gateway_cannot_leak_the_key_into_messages_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    with FakeAnthropic(expected_key="sk-ant-other", echo_key_in_errors=True) as echoing:
        caplog.set_level(logging.DEBUG)
        with pytest.raises(FatalApiError) as caught:
            call_model(client_for(echoing), request_for("Green."))
    assert API_KEY in caught.value.message  # the gateway echoed it ...
    settings = Settings(anthropic_api_key=API_KEY)
    assert API_KEY not in redact(caught.value.message, settings)  # ... and redact removes it
    assert API_KEY not in caplog.text  # the SDK's own debug logging never printed it
