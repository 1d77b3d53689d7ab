"""ASGI middleware: security headers on every response, a cap on request body sizes (413), and a bound on
the requests a process works on at once.

Pure ASGI (not BaseHTTPMiddleware), so streamed responses such as exports pass through untouched.
"""

import asyncio
import json
import weakref
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

# Scripts only from our own origin: no inline script, no eval. Inline style attributes are allowed
# (progress bars set widths); styles cannot run code.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN and start it with an inline script.
# They render no user content, so they get a looser policy of their own.
DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "worker-src blob:",
    "frame-ancestors 'none'",
])
DOCS_PATHS = ("/docs", "/redoc")
# JSON and form bodies are held in memory whole, so they get a far smaller cap than file uploads.
MAX_NON_UPLOAD_BYTES = 16 * 1024 * 1024


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if settings.secure_cookies:  # served behind TLS
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp.encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so that FastAPI's body parsing passes it on as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit is {limit} bytes")


class BodySizeLimitMiddleware:
    """413 for bodies over the limit: multipart uploads up to settings.max_request_bytes, anything else
    up to MAX_NON_UPLOAD_BYTES. Checks Content-Length up front and counts chunked bodies as they arrive."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.upload_limit = settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_limit if multipart else MAX_NON_UPLOAD_BYTES
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_413(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body: dict[str, Any] = {"detail": f"request body too large: the limit is {limit} bytes"}
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


class InFlightLimitMiddleware:
    """At most settings.max_inflight_requests requests of this process are worked on at once; the rest wait
    here, holding neither a database connection nor a worker thread.

    Why: a request holds its database connection across FastAPI's separate thread hops (dependencies,
    handler, response validation), and each hop queues for one of a fixed number of threads. Without a
    bound, more simultaneous requests than the pool has connections deadlock: those holding connections
    wait for threads that wait for connections, until the pool times out (500s for everyone). Bounded,
    the excess waits in line instead, which also keeps latency steadier under overload."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_inflight_requests
        # One line per event loop: uvicorn runs one per process; test clients may run several.
        self.slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._last: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):  # static files touch no database
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        last = self._last  # uvicorn's one loop: skips a weak-dictionary lookup per request
        if last is None or last[0] is not loop:
            slots = self.slots.get(loop)
            if slots is None:
                slots = self.slots[loop] = asyncio.Semaphore(self.limit)
            last = self._last = (loop, slots)
        async with last[1]:
            await self.app(scope, receive, send)
