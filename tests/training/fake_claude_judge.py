"""A tiny fake Anthropic Messages server on 127.0.0.1 for the Claude judge tests: canned verdicts, recorded requests."""

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Decide = Callable[[dict[str, Any]], str]


def between(text: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", text, re.S)
    return match.group(1) if match else ""


def prefers_word(word: str) -> Decide:
    """An unbiased judge: the response that contains `word` wins, whichever position it is in."""

    def decide(body: dict[str, Any]) -> str:
        question = body["messages"][0]["content"]
        return "A" if word in between(question, "response_a") else "B"

    return decide


@contextmanager
def fake_claude(decide: Decide) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve until the block ends; yields the base URL and the list of (headers + body) requests received."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            # the key travels as x-api-key or as a bearer token, depending on the SDK version
            key = self.headers.get("x-api-key") or self.headers.get("Authorization", "").removeprefix("Bearer ")
            received.append({"path": self.path, "api_key": key, **body})
            reply = {
                "id": f"msg_{len(received)}", "type": "message", "role": "assistant", "model": body["model"],
                "content": [{"type": "text", "text": decide(body)}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
