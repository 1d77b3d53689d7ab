"""The simulated team: annotators loop lease -> draft saves -> submit; reviewers and an admin poll.

Every acknowledged write (a 200 to a draft save or a submit) goes into a ledger, which verify.py checks
against the database afterwards. A request that fails (5xx, a dropped connection) is recorded with its
time, and the annotator starts over from the queue, as the page does on reload: the queue hands back
the held item with the newest stored draft and its version.
"""

import asyncio
import hashlib
import random
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from app import heap
from benchmarks.load.http_client import REQUEST_ERRORS, PersonClient, Reply
from benchmarks.load.stats import Recorder
from benchmarks.load.texts import small_edit


@dataclass(frozen=True)
class Scenario:
    """How the simulated people behave."""

    seconds: float
    """How long the run lasts; no request starts after that."""
    think_s: float = 1.0
    """Mean pause before each save (uniform in 0.5x..1.5x); 0 saves back to back."""
    saves_per_item: int = 5
    """Draft saves before the submit (workflow mode)."""
    submit: bool = True
    """False: each annotator leases one item and only saves drafts of it (the autosave benchmark)."""
    reviewer_poll_s: float = 2.0
    admin_poll_s: float = 2.0


@dataclass(frozen=True)
class Ack:
    """One acknowledged write: what the server said it stored."""

    user: int
    item_id: int
    edit_id: int
    version: int
    text_sha: str
    at: float


@dataclass
class Ledger:
    submissions: list[Ack] = field(default_factory=list)
    last_draft: dict[tuple[int, int], Ack] = field(default_factory=dict)
    """(annotator index, item id) -> the newest acknowledged draft save."""
    failures: list[tuple[float, str]] = field(default_factory=list)
    """(monotonic time, what) of every failed request, for the fault scripts' windows."""
    successes: list[float] = field(default_factory=list)
    """Monotonic times of successful requests (fault scripts: did the server recover?)."""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Caller:
    """Sends one person's requests, timing them into the recorder and the ledger."""

    def __init__(self, client: PersonClient, token: str, rec: Recorder, ledger: Ledger) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rec = rec
        self.ledger = ledger

    async def call(self, endpoint: str, method: str, path: str, json: Any = None,
                   ok: tuple[int, ...] = (200,)) -> Reply | None:
        """The response when its status is in `ok` (or a 409, left to the caller); None on failure."""
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, json=json, headers=self.headers)
        except REQUEST_ERRORS as exc:
            self._failed(endpoint, f"{type(exc).__name__}: {exc}"[:200])
            return None
        elapsed = time.perf_counter() - started
        if response.status_code in ok or response.status_code == 409:
            self.rec.ok(endpoint, elapsed)
            self.ledger.successes.append(time.monotonic())
            return response
        self._failed(endpoint, f"{response.status_code} {response.text[:160]}")
        return None

    def _failed(self, endpoint: str, why: str) -> None:
        self.rec.fail(endpoint, why)
        self.ledger.failures.append((time.monotonic(), f"{endpoint}: {why}"))


async def pause(rng: random.Random, mean_s: float, stop_at: float) -> bool:
    """Sleep about `mean_s`; False when the run ends first."""
    if mean_s > 0:
        await asyncio.sleep(min(rng.uniform(0.5, 1.5) * mean_s, max(0.0, stop_at - time.monotonic())))
    return time.monotonic() < stop_at


async def annotator(caller: Caller, index: int, dataset_id: int, sc: Scenario, stop_at: float) -> None:
    rng = random.Random(index)
    # A team at work is spread over the steps of its items: people start anywhere within one item's cycle
    # (all starting within one pause kept them in step for minutes: waves of submits and leases).
    cycle = sc.think_s * ((sc.saves_per_item + 1) if sc.submit else 1)
    await asyncio.sleep(rng.uniform(0, max(cycle, 0.05)))
    while time.monotonic() < stop_at:
        leased = await caller.call("lease", "GET", f"/api/v1/queue/next?dataset_id={dataset_id}", ok=(200, 204))
        if leased is None or leased.status_code != 200:
            if leased is not None:
                caller.rec.note("queue empty (204)")
            await asyncio.sleep(0.5)
            continue
        body = leased.json()
        item, draft = body["item"], body["draft"]
        version = draft["version"] if draft else 0
        step = 0
        while sc.saves_per_item == 0 or not sc.submit or step < sc.saves_per_item:
            if not await pause(rng, sc.think_s, stop_at):
                return
            text = small_edit(item["rejected"], step, rng)
            step += 1
            saved = await caller.call("draft save", "PUT", f"/api/v1/items/{item['id']}/edit",
                                      {"edited_text": text, "status": "draft", "version": version})
            if saved is None or saved.status_code == 409:
                if saved is not None:
                    caller.rec.note("409 on draft save")
                break
            edit = saved.json()
            version = edit["version"]
            caller.ledger.last_draft[(index, item["id"])] = Ack(index, item["id"], edit["id"], version, sha(text),
                                                                time.monotonic())
        else:
            if not await pause(rng, sc.think_s, stop_at):
                return
            text = small_edit(item["rejected"], step + 7, rng)
            done = await caller.call("submit", "PUT", f"/api/v1/items/{item['id']}/edit",
                                     {"edited_text": text, "status": "submitted", "version": version})
            if done is not None and done.status_code == 200:
                edit = done.json()
                caller.ledger.submissions.append(Ack(index, item["id"], edit["id"], edit["version"], sha(text),
                                                     time.monotonic()))
            elif done is not None:
                caller.rec.note("409 on submit")
            continue
        if time.monotonic() < stop_at:
            await asyncio.sleep(0.2)  # after a failure: a moment before reloading, as the page does


async def reviewer(caller: Caller, dataset_id: int, sc: Scenario, stop_at: float) -> None:
    rng = random.Random(id(caller))
    while await pause(rng, sc.reviewer_poll_s, stop_at):
        await caller.call("review queue (API)", "GET", f"/api/v1/review/queue?dataset_id={dataset_id}&limit=20")
        await caller.call("review page", "GET", f"/review?dataset_id={dataset_id}")


async def admin(caller: Caller, dataset_id: int, sc: Scenario, stop_at: float) -> None:
    rng = random.Random(id(caller))
    while await pause(rng, sc.admin_poll_s, stop_at):
        await caller.call("dashboard page", "GET", "/dashboard")
        await caller.call("dataset progress", "GET", f"/api/v1/datasets/{dataset_id}")


async def run_team(base_url: str, dataset_id: int, annotators: list[str], reviewers: list[str], admins: list[str],
                   sc: Scenario) -> tuple[Recorder, Ledger, float]:
    """Run everyone until sc.seconds have passed; returns the recorder, the ledger and the elapsed seconds."""
    rec, ledger = Recorder(), Ledger()
    tokens = [*annotators, *reviewers, *admins]
    # One client (one keep-alive connection) per person, as each person's browser has: a shared pool of
    # hundreds of connections costs the load generator more CPU per request than the server spends.
    async with AsyncExitStack() as stack:
        stack.enter_context(heap.settled())  # a full collection would stall every request in flight
        clients = [await stack.enter_async_context(PersonClient(base_url)) for _ in tokens]
        callers = [Caller(c, t, rec, ledger) for c, t in zip(clients, tokens, strict=True)]
        started = time.monotonic()
        stop_at = started + sc.seconds
        tasks = [annotator(callers[k], k, dataset_id, sc, stop_at) for k in range(len(annotators))]
        tasks += [reviewer(c, dataset_id, sc, stop_at) for c in callers[len(annotators):len(annotators) + len(reviewers)]]
        tasks += [admin(c, dataset_id, sc, stop_at) for c in callers[len(annotators) + len(reviewers):]]
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    return rec, ledger, elapsed
