"""Draft autosaves, Redline against Potato, with the same script and the same numbers of users.

    .venv/bin/pip install potato-annotation        # benchmark only, never a project dependency
    .venv/bin/python -m benchmarks.load.compare_potato --users 20 50 --seconds 20

Each simulated user holds one item and saves its edited text back to back (no pause), as fast as the
server answers, for --seconds after a short warm-up. Redline: `PUT /api/v1/items/{id}/edit` with a
version check, written to PostgreSQL (uvicorn, --web-workers processes, a private PostgreSQL cluster).
Potato: `POST /updateinstance` of a `text_edit` project, the request its page's autosave sends, on
`potato start` (its own Flask server). Every acknowledged Redline save is then checked in the database.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from app import heap
from benchmarks.faults.pg_cluster import PrivateCluster
from benchmarks.load.cpu import machine_note, tree_cpu_seconds
from benchmarks.load.http_client import REQUEST_ERRORS, PersonClient
from benchmarks.load.potato_site import autosave_body, potato_server, sign_in, write_project
from benchmarks.load.redline_site import redline_server, scratch_database, seed
from benchmarks.load.scenario import Scenario, run_team
from benchmarks.load.stats import Recorder, percentile
from benchmarks.load.texts import response_text, small_edit
from benchmarks.load.verify import verify


@dataclass
class Result:
    system: str
    users: int
    saves: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.saves / self.seconds

    def row(self) -> str:
        return (f"{self.system:<9}{self.users:>6}{self.saves:>9}{self.per_s:>10.0f}{self.p50_ms:>9.1f}"
                f"{self.p99_ms:>9.1f}{self.errors:>8}{self.server_cpu_s:>10.0f}  {self.note}")


HEADER = f"{'system':<9}{'users':>6}{'saves':>9}{'saves/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'CPU s':>10}"


def summarize(system: str, users: int, rec: Recorder, endpoint: str, elapsed: float, cpu: float, note: str = "") -> Result:
    ms = sorted(x * 1000 for x in rec.latencies.get(endpoint, []))
    return Result(system, users, len(ms), elapsed, percentile(ms, 50), percentile(ms, 99), rec.total_errors, cpu, note)


def run_redline(users: int, seconds: float, warmup: float, words: int, workers: int) -> Result:
    with ExitStack() as stack:
        pg = stack.enter_context(PrivateCluster())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(scratch_database(pg.dsn))
        seeded = seed(url, users, 0, 0, users, words)
        base, proc = stack.enter_context(redline_server(url, tmp / "server.log", workers=workers))
        asyncio.run(run_team(base, seeded.dataset_id, seeded.annotators, [], [],
                             Scenario(seconds=warmup, think_s=0, submit=False)))
        cpu = tree_cpu_seconds(proc.pid)
        rec, ledger, elapsed = asyncio.run(run_team(base, seeded.dataset_id, seeded.annotators, [], [],
                                                    Scenario(seconds=seconds, think_s=0, submit=False)))
        cpu = tree_cpu_seconds(proc.pid) - cpu
        verdict = verify(url, ledger, seeded.annotator_ids)
    note = "all acknowledged saves stored" if verdict.ok else f"LOST WRITES: {len(verdict.missing)}"
    return summarize("redline", users, rec, "draft save", elapsed, cpu, note)


async def potato_user(base: str, k: int, words: int, ready: asyncio.Barrier, until: list[float], rec: Recorder) -> None:
    rng = random.Random(k)
    async with PersonClient(base) as client:
        try:
            instance = await sign_in(client, f"annotator{k}")
        except REQUEST_ERRORS as exc:
            rec.fail("sign in", f"{type(exc).__name__}: {exc}"[:160])
            await ready.wait()  # the others must not wait for this user forever
            return
        index = int(instance.rsplit("-", 1)[-1]) if instance.rsplit("-", 1)[-1].isdigit() else 0
        original = response_text(words, seed=index % 50) + f" (variant {index})"
        await ready.wait()
        step = 0
        while time.monotonic() < until[0]:
            body = autosave_body(instance, original, small_edit(original, step, rng))
            step += 1
            started = time.perf_counter()
            try:
                reply = await client.post("/updateinstance", json=body)
            except REQUEST_ERRORS as exc:
                rec.fail("autosave", type(exc).__name__)
                continue
            if reply.status_code == 200 and until[1] <= time.monotonic():
                rec.ok("autosave", time.perf_counter() - started)
            elif reply.status_code != 200:
                rec.fail("autosave", f"{reply.status_code} {reply.text[:120]}")


async def drive_potato(base: str, users: int, seconds: float, warmup: float, words: int) -> tuple[Recorder, float]:
    rec = Recorder()
    ready = asyncio.Barrier(users + 1)
    until = [float("inf"), float("inf")]  # [stop, start of measurement]
    tasks = [asyncio.create_task(potato_user(base, k, words, ready, until, rec)) for k in range(users)]
    await ready.wait()  # everyone signed in
    now = time.monotonic()
    until[1], until[0] = now + warmup, now + warmup + seconds
    with heap.settled():  # as run_team does for Redline: no collector pauses in either system's timings
        await asyncio.gather(*tasks)
    return rec, seconds


def run_potato(users: int, seconds: float, warmup: float, words: int, python: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        config = write_project(Path(tmp) / "project", max(users * 2, 100), words)
        with potato_server(config, Path(tmp) / "potato.log", python) as (base, proc):
            cpu = tree_cpu_seconds(proc.pid)
            rec, elapsed = asyncio.run(drive_potato(base, users, seconds, warmup, words))
            cpu = tree_cpu_seconds(proc.pid) - cpu
    return summarize("potato", users, rec, "autosave", elapsed, cpu, "Flask (potato start)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--potato-python", default=sys.executable, help="a Python with potato-annotation")
    parser.add_argument("--only", choices=("redline", "potato"), default=None)
    args = parser.parse_args(argv)
    print(f"# {machine_note()} (shared with other work: compare rows of one run, not absolutes)")
    results = []
    for users in args.users:
        if args.only != "potato":
            results.append(run_redline(users, args.seconds, args.warmup, args.words, args.web_workers))
            print(results[-1].row(), flush=True)
        if args.only != "redline":
            results.append(run_potato(users, args.seconds, args.warmup, args.words, args.potato_python))
            print(results[-1].row(), flush=True)
    print(HEADER)
    print(*(r.row() for r in results), sep="\n")
    for users in args.users:
        ours = [r for r in results if r.users == users and r.system == "redline"]
        theirs = [r for r in results if r.users == users and r.system == "potato"]
        if ours and theirs:
            print(f"{users} users: Redline/Potato throughput {ours[0].per_s / theirs[0].per_s:.2f}x; "
                  f"p99 {ours[0].p99_ms:.0f} ms against {theirs[0].p99_ms:.0f} ms")
    print(f"# {machine_note()}")
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
