"""The Anthropic client built from the settings, one Messages call, and how API errors are sorted.

The key is handed to the SDK and nowhere else: it is never logged, stored or put in a message.
With no base URL in the settings the SDK reads ANTHROPIC_BASE_URL itself, so a gateway works."""

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import anthropic

from app.config import Settings
from app.services.autoedit.pricing import Usage

T = TypeVar("T")


@dataclass(frozen=True)
class ModelReply:
    text: str
    usage: Usage
    stop_reason: str | None


class ApiFailure(Exception):
    """A call that did not give an answer; subclasses say what the batch does next."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class RetryableApiError(ApiFailure):
    """429, 5xx, 529 overloaded, timeouts, dropped connections: try this item again later."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after


class FatalApiError(ApiFailure):
    """400, 401, 402, 403, 404 or no key: every other item would fail the same way, so the batch stops."""


class ItemApiError(ApiFailure):
    """A refusal that concerns this item alone (413 too large, 422): it fails, the batch goes on."""


def api_key_of(settings: Settings) -> str | None:
    key: Any = settings.anthropic_api_key
    if key is not None and hasattr(key, "get_secret_value"):
        key = key.get_secret_value()
    return key or None


def redact(text: str, settings: Settings) -> str:
    """Remove the key from text bound for a log, a row or a response (an echoing gateway could leak it)."""
    key = api_key_of(settings)
    return text.replace(key, "[redacted]") if key else text


def build_client(settings: Settings, timeout_s: float) -> anthropic.Anthropic:
    """One client per key, endpoint and timeout, shared by the threads of a worker (it is thread-safe)."""
    return _cached_client(api_key_of(settings), settings.anthropic_base_url, float(timeout_s))


@lru_cache(maxsize=8)
def _cached_client(api_key: str | None, base_url: str | None, timeout_s: float) -> anthropic.Anthropic:
    # max_retries=0: the tasks retry with their own back-off, so a retry never holds a concurrency slot.
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=timeout_s,
    )


def ensure_credentials(client: anthropic.Anthropic) -> None:
    if not any(getattr(client, name, None) for name in ("api_key", "auth_token", "credentials")):
        raise FatalApiError("no Anthropic API key: set ANTHROPIC_API_KEY in the environment of the workers")


def call_model(client: anthropic.Anthropic, request: dict[str, Any]) -> ModelReply:
    """One Messages API call; every failure comes out as an ApiFailure subclass. The body is read as
    plain JSON: building the SDK's typed Message took about a twentieth of a busy worker's CPU, and
    only the text, the usage and the stop reason are kept."""
    raw = api_call(client, client.messages.with_raw_response.create, about_model=request.get("model", ""), **request)
    try:
        body = raw.json()
        if not isinstance(body, dict):
            raise TypeError("the body is not a JSON object")
        return reply_from_body(body)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ItemApiError(f"unexpected answer from the Anthropic API: {type(exc).__name__}") from None


def api_call(
    client: anthropic.Anthropic, method: Callable[..., T], *args: Any, about_model: str = "", **kwargs: Any
) -> T:
    """Any SDK call (Messages, Message Batches), with its failures sorted into ApiFailure subclasses."""
    ensure_credentials(client)
    try:
        return method(*args, **kwargs)
    except anthropic.APIError as exc:
        raise classify_error(exc, about_model) from None


def reply_from_message(message: Any) -> ModelReply:
    text = "".join(block.text for block in message.content if getattr(block, "type", "") == "text")
    usage = Usage(int(message.usage.input_tokens or 0), int(message.usage.output_tokens or 0))
    return ModelReply(text, usage, message.stop_reason)


def reply_from_body(body: dict[str, Any]) -> ModelReply:
    """reply_from_message for a Messages response body as JSON."""
    text = "".join(block.get("text", "") for block in body.get("content") or [] if block.get("type") == "text")
    usage = body.get("usage") or {}
    return ModelReply(text, Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
                      body.get("stop_reason"))


def classify_error(exc: anthropic.APIError, model: str) -> ApiFailure:
    if isinstance(exc, anthropic.APITimeoutError):
        return RetryableApiError("the request timed out")
    if isinstance(exc, anthropic.APIConnectionError):
        return RetryableApiError("could not reach the Anthropic API (connection failed)")
    if not isinstance(exc, anthropic.APIStatusError):
        return ItemApiError(f"unexpected answer from the Anthropic API: {type(exc).__name__}")
    status, detail = exc.status_code, error_detail(exc)
    if status in (408, 409, 429) or status >= 500:
        return RetryableApiError(f"{status} {detail}", status, retry_after_s(exc.response))
    if status == 401:
        return FatalApiError(f"the API key was refused (401 {detail}); set a valid ANTHROPIC_API_KEY", status)
    if status == 402:
        return FatalApiError(f"the account cannot pay for more requests (402 {detail}); check billing", status)
    if status == 403:
        return FatalApiError(f"the API key may not do this (403 {detail}); check its workspace and model access", status)
    if status == 404:
        return FatalApiError(f"not found (404 {detail}); check the model name {model!r} and the base URL", status)
    if status == 400:
        return FatalApiError(f"the request was refused as invalid (400 {detail}); check the model name and prompt", status)
    return ItemApiError(f"{status} {detail}", status)


def error_detail(exc: anthropic.APIStatusError) -> str:
    body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
    nested = body.get("error")
    error: dict[str, Any] = nested if isinstance(nested, dict) else body
    kind, message = error.get("type", "error"), error.get("message", "")
    return f"{kind}: {message}"[:500] if message else str(kind)


def retry_after_s(response: Any) -> float | None:
    """The server's `retry-after` (seconds or an HTTP date), if it sent one."""
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
