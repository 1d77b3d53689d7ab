"""A fake Anthropic API on 127.0.0.1 that the official SDK reaches through `base_url`.

It serves the Messages API and the Message Batches API (create, retrieve, results, cancel).
What it does for an item is chosen by a marker in the item's text, `[[fake:NAME]]` (always) or
`[[fake:NAMExN]]` (the first N calls, then a normal answer):

  normal        a minimal edit: the first "wrong" becomes "right", else " (edited)" is appended
  nochange      the response unchanged          rewrite       a different text altogether
  no_delimiter  the edit without the delimiter  truncated     cut off at max_tokens
  rate_limit    429 with retry-after            overloaded    529
  server_error  500                             slow          answers after `slow_s` seconds
  bad_request   400                             unauthorized  401
  expired / errored   that entry's result in a Message Batch
"""

import json
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.services.autoedit.prompt import DELIMITER

MARKER = re.compile(r"\[\[fake:([a-z_]+?)(?:x(\d+))?\]\]")
_REJECTED = re.compile(r"<less_preferred_response>\n(.*?)\n</less_preferred_response>", re.DOTALL)
_ERRORS = {
    "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "server_error": (500, "api_error", "Internal server error"),
    "bad_request": (400, "invalid_request_error", "messages: text content blocks must be non-empty"),
    "unauthorized": (401, "authentication_error", "invalid x-api-key"),
}


@dataclass
class FakeConfig:
    latency_s: float = 0.0
    """Fixed delay before every Messages answer (the benchmark uses 0.5 s)."""
    slow_s: float = 5.0
    """How long a `slow` answer takes; set it above the client's timeout."""
    retry_after_s: float = 0.2
    """The `retry-after` header sent with a 429."""
    expected_key: str | None = None
    """When set, a request with another x-api-key gets a 401."""
    echo_key_in_errors: bool = False
    """Repeat the received key in 401 messages, as a careless gateway might (for leak tests)."""
    default: str = "normal"
    """What items without a marker get."""
    batch_polls_to_end: int = 2
    """A Message Batch reports `ended` from this retrieve on."""
    batch_create_errors: list[str] = field(default_factory=list)
    """Behaviours (rate_limit, unauthorized...) for the next Message Batch creations, one each, in order."""


@dataclass
class FakeBatch:
    id: str
    requests: list[dict[str, Any]]
    polls: int = 0
    cancel_requested: bool = False
    results: list[dict[str, Any]] | None = None


@dataclass
class FakeStats:
    requests: int = 0
    """Every request, refused ones included."""
    messages_calls: int = 0
    """Messages API calls that got past the key check."""
    in_flight: int = 0
    max_in_flight: int = 0
    by_behaviour: Counter = field(default_factory=Counter)
    keys_seen: set[str] = field(default_factory=set)


class FakeAnthropic:
    """Start with `with FakeAnthropic(latency_s=0.5) as fake:`, then use `fake.base_url`."""

    def __init__(self, **config: Any):
        self.config = FakeConfig(**config)
        self.stats = FakeStats()
        self.batches: dict[str, FakeBatch] = {}
        self._seen: Counter = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._server.request_queue_size = 512
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeAnthropic":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour --------------------------------------------------------------------------
    def behaviour_for(self, text: str) -> str:
        """The marker's behaviour, counting calls per item so `rate_limitx2` passes on the third."""
        match = MARKER.search(text)
        if match is None:
            return self.config.default
        name, times = match.group(1), match.group(2)
        if times is None:
            return name
        with self._lock:
            self._seen[text] += 1
            return name if self._seen[text] <= int(times) else "normal"

    def answer(self, params: dict[str, Any], behaviour: str) -> dict[str, Any]:
        """A Messages API response body for a request."""
        user = params["messages"][-1]["content"]
        user = user if isinstance(user, str) else "".join(block.get("text", "") for block in user)
        found = _REJECTED.search(user)
        rejected = found.group(1) if found else user
        stop = "end_turn"
        if behaviour == "nochange":
            edited, rationale = rejected, "Nothing needs to change."
        elif behaviour == "rewrite":
            edited = " ".join(["Entirely new wording that shares nothing with the original answer."] * 8)
            rationale = "Rewrote the whole response."
        else:
            edited = rejected.replace("wrong", "right", 1) if "wrong" in rejected else rejected.rstrip() + " (edited)"
            rationale = "Replaced the wrong claim."
        text = edited if behaviour == "no_delimiter" else f"{rationale}\n{DELIMITER}\n{edited}"
        if behaviour == "truncated":
            text, stop = text[: max(1, len(text) // 2)], "max_tokens"
        prompt_chars = len(str(params.get("system", ""))) + len(user)
        return {
            "id": f"msg_fake_{id(params)}",
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": math.ceil(prompt_chars / 4), "output_tokens": math.ceil(len(text) / 4)},
        }

    # -- Message Batches -------------------------------------------------------------------
    def batch_body(self, batch: FakeBatch) -> dict[str, Any]:
        ended = batch.results is not None
        counts = Counter(r["result"]["type"] for r in batch.results or [])
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else ("canceling" if batch.cancel_requested else "in_progress"),
            "request_counts": {
                "processing": 0 if ended else len(batch.requests),
                "succeeded": counts["succeeded"], "errored": counts["errored"],
                "canceled": counts["canceled"], "expired": counts["expired"],
            },
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "2025-01-02T00:00:00Z",
            "ended_at": "2025-01-01T01:00:00Z" if ended else None,
            "cancel_initiated_at": "2025-01-01T00:30:00Z" if batch.cancel_requested else None,
            "archived_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }

    def end_batch(self, batch: FakeBatch) -> None:
        results = []
        for index, request in enumerate(batch.requests):
            behaviour = self.behaviour_for(json.dumps(request["params"]["messages"]))
            if batch.cancel_requested and index % 2 == 1:
                result: dict[str, Any] = {"type": "canceled"}
            elif behaviour == "expired":
                result = {"type": "expired"}
            elif behaviour == "errored" or behaviour in _ERRORS:
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "invalid_request_error", "message": "prompt is too long"}}}
            else:
                result = {"type": "succeeded", "message": self.answer(request["params"], behaviour)}
            results.append({"custom_id": request["custom_id"], "result": result})
        batch.results = results


def _make_handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read their own logs
            pass

        def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_fake")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                pass

        def send_error_json(self, behaviour: str, message: str | None = None) -> None:
            status, kind, text = _ERRORS[behaviour]
            headers = {"retry-after": f"{fake.config.retry_after_s:g}"} if status == 429 else {}
            self.send_json(status, {"type": "error", "error": {"type": kind, "message": message or text}}, headers)

        def read_json(self) -> Any:
            length = int(self.headers.get("content-length") or 0)
            try:
                return json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return {}

        def key_refused(self) -> bool:
            # Older SDKs send x-api-key, newer ones `Authorization: Bearer <key>`.
            bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ")
            key = self.headers.get("x-api-key") or bearer
            with fake._lock:
                fake.stats.requests += 1
                fake.stats.keys_seen.add(key)
            if fake.config.expected_key is None or key == fake.config.expected_key:
                return False
            echo = f" (received {key})" if fake.config.echo_key_in_errors else ""
            self.send_error_json("unauthorized", f"invalid x-api-key{echo}")
            return True

        def do_POST(self) -> None:
            body = self.read_json()
            if self.key_refused():
                return
            if self.path.rstrip("/") == "/v1/messages":
                self.post_message(body)
            elif self.path.rstrip("/") == "/v1/messages/batches" and fake.config.batch_create_errors:
                self.send_error_json(fake.config.batch_create_errors.pop(0))
            elif self.path.rstrip("/") == "/v1/messages/batches":
                with fake._lock:
                    batch = FakeBatch(f"msgbatch_fake_{len(fake.batches) + 1}", body["requests"])
                    fake.batches[batch.id] = batch
                self.send_json(200, fake.batch_body(batch))
            elif (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)/cancel", self.path)) and m[1] in fake.batches:
                fake.batches[m[1]].cancel_requested = True
                self.send_json(200, fake.batch_body(fake.batches[m[1]]))
            else:
                self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})

        def do_GET(self) -> None:
            if self.path == "/_fake/stats":  # for a fake running in another process (the benchmark)
                with fake._lock:
                    body = {"requests": fake.stats.requests, "messages_calls": fake.stats.messages_calls,
                            "max_in_flight": fake.stats.max_in_flight}
                    if "reset" in self.headers.get("x-fake", ""):
                        fake.stats.max_in_flight = 0
                self.send_json(200, body)
                return
            if self.key_refused():
                return
            m = re.fullmatch(r"/v1/messages/batches/([\w-]+)(/results)?", self.path.split("?")[0])
            batch = fake.batches.get(m[1]) if m else None
            if batch is None:
                self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
            elif m and m[2]:
                lines = "".join(json.dumps(row) + "\n" for row in batch.results or [])
                self.send_json(200, lines.encode())
            else:
                with fake._lock:
                    batch.polls += 1
                    if batch.results is None and (batch.polls >= fake.config.batch_polls_to_end):
                        fake.end_batch(batch)
                self.send_json(200, fake.batch_body(batch))

        def post_message(self, params: dict[str, Any]) -> None:
            if not params.get("messages"):  # a client killed while sending leaves a truncated body
                self.send_error_json("bad_request")
                return
            behaviour = fake.behaviour_for(json.dumps(params["messages"]))
            with fake._lock:
                fake.stats.messages_calls += 1
                fake.stats.by_behaviour[behaviour] += 1
                fake.stats.in_flight += 1
                fake.stats.max_in_flight = max(fake.stats.max_in_flight, fake.stats.in_flight)
            try:
                time.sleep(fake.config.slow_s if behaviour == "slow" else fake.config.latency_s)
                if behaviour in _ERRORS:
                    self.send_error_json(behaviour)
                else:
                    self.send_json(200, fake.answer(params, behaviour))
            finally:
                with fake._lock:
                    fake.stats.in_flight -= 1

    return Handler


def main() -> None:
    """Run the fake alone (the benchmark runs it in its own process, so that its threads share no
    interpreter lock with the code that measures): prints its base URL, serves until killed."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--key", default=None)
    args = parser.parse_args()
    with FakeAnthropic(latency_s=args.latency, expected_key=args.key) as fake:
        print(fake.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
