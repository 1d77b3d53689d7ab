"""The load generator's HTTP client: aiohttp, one keep-alive connection per simulated person.

The generator shares the machine's cores with the server it measures, so its own CPU per request matters:
httpx's async client cost it 1.5-2 ms per request here, about half of what a Redline draft save costs the
server; aiohttp costs a fraction of that. Redline and Potato are driven through this same client.
"""

from __future__ import annotations

import asyncio
import json as json_module
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

# What a request can raise instead of answering: a refused or dropped connection, or the timeout.
REQUEST_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass(frozen=True)
class Reply:
    """A whole response, read before the connection goes back for the next request."""

    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json_module.loads(self.body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise aiohttp.ClientResponseError(None, (), status=self.status_code,  # type: ignore[arg-type]
                                              message=self.text[:200])


class PersonClient:
    """One person's browser: a single keep-alive connection, cookies kept (also for 127.0.0.1)."""

    def __init__(self, base_url: str, timeout_s: float = 60.0) -> None:
        self.session = aiohttp.ClientSession(
            base_url=base_url, connector=aiohttp.TCPConnector(limit=1),
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=timeout_s))

    async def request(self, method: str, path: str, json: Any = None, data: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> Reply:
        async with self.session.request(method, path, json=json, data=data, headers=headers) as response:
            return Reply(response.status, await response.read())

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("POST", path, **kwargs)

    async def __aenter__(self) -> PersonClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.session.close()
