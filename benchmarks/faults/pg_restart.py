"""Restart PostgreSQL while annotators work: no acknowledged write may be lost, and the server must
recover by itself (no restart of its own).

    .venv/bin/python -m benchmarks.faults.pg_restart --annotators 50 --seconds 30
    .venv/bin/python -m benchmarks.faults.pg_restart --shared     # the machine's own server, as an operator would

By default PostgreSQL is a private throwaway cluster (other work on the machine is not disturbed); with
--shared the run uses a scratch database on the machine's server and restarts it with
`pg_ctlcluster --skip-systemctl-redirect <version> main restart`. Requests cut off by the restart fail
(503 or a dropped connection); the annotators then reload from the queue as the page does. Afterwards
every acknowledged draft and submission is looked up in the database.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks.faults.pg_cluster import SHARED_DSN, PrivateCluster, restart_shared_cluster
from benchmarks.load.cpu import machine_note
from benchmarks.load.redline_site import redline_server, scratch_database, seed
from benchmarks.load.scenario import Ledger, Scenario, run_team
from benchmarks.load.stats import Recorder
from benchmarks.load.verify import Verdict, verify


@dataclass
class Outcome:
    rec: Recorder
    ledger: Ledger
    verdict: Verdict
    started: float
    """time.monotonic() when the load began (the ledger's times are monotonic too)."""
    restart_at: float
    restart_s: float
    elapsed: float

    @property
    def first_success_after(self) -> float | None:
        """Seconds from the database answering again to the server's first successful reply."""
        back = self.restart_at + self.restart_s
        later = [t for t in self.ledger.successes if t >= back]
        return min(later) - back if later else None

    @property
    def failures_after_recovery(self) -> list[str]:
        """Failures that started more than a second after the database was back (there should be none)."""
        back = self.restart_at + self.restart_s
        return [what for t, what in self.ledger.failures if t > back + 1.0]

    def lines(self) -> list[str]:
        ok = [t for t in self.ledger.successes if t > self.restart_at + self.restart_s]
        out = [f"database restart took {self.restart_s:.2f} s, {self.restart_at - self.started:.1f} s into the run",
               f"failed requests: {len(self.ledger.failures)} (all while it restarted: "
               f"{not self.failures_after_recovery}); successful replies after the restart: {len(ok)}"]
        first = self.first_success_after
        out.append("first successful reply " + (f"{first:.2f} s after the database was back" if first is not None
                                               else "never: the server did not recover"))
        kinds = Counter(what.split(":", 1)[1].strip()[:60] for _, what in self.ledger.failures)
        out += [f"  {n} x {kind}" for kind, n in kinds.most_common(4)]
        out += [f"  after recovery: {w}" for w in self.failures_after_recovery[:5]]
        return out + self.verdict.lines()


async def _load_with_restart(base: str, seeded, sc: Scenario, restart_after: float, restart) -> tuple:
    started = time.monotonic()
    team = asyncio.create_task(run_team(base, seeded.dataset_id, seeded.annotators, seeded.reviewers,
                                        seeded.admins, sc))
    await asyncio.sleep(restart_after)
    restart_at = time.monotonic()
    restart_s = await asyncio.to_thread(restart)
    rec, ledger, elapsed = await team
    return rec, ledger, elapsed, restart_at, restart_s, started


def run_fault(annotators: int, seconds: float, think: float, workers: int, shared: bool = False,
              restart_after: float | None = None) -> Outcome:
    """The whole experiment; used by this script and by tests/reliability/test_faults.py."""
    sc = Scenario(seconds=seconds, think_s=think, saves_per_item=3)
    with ExitStack() as stack:
        cluster = None if shared else stack.enter_context(PrivateCluster())
        admin_dsn = SHARED_DSN if cluster is None else cluster.dsn
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(scratch_database(admin_dsn, prefix="redline_fault"))
        seeded = seed(url, annotators, 1, 1, max(200, annotators * 20), 80)
        base, _proc = stack.enter_context(redline_server(url, tmp / "server.log", workers=workers))
        restart = restart_shared_cluster if cluster is None else cluster.restart
        rec, ledger, elapsed, restart_at, restart_s, started = asyncio.run(
            _load_with_restart(base, seeded, sc, restart_after if restart_after is not None else seconds / 3, restart))
        verdict = verify(url, ledger, seeded.annotator_ids)
    return Outcome(rec, ledger, verdict, started, restart_at, restart_s, elapsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=0.3)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--shared", action="store_true", help="restart the machine's own PostgreSQL")
    args = parser.parse_args(argv)
    print(f"# {machine_note()}")
    out = run_fault(args.annotators, args.seconds, args.think, args.web_workers, args.shared)
    print(f"annotators={args.annotators} seconds={out.elapsed:.1f} web_workers={args.web_workers} "
          f"postgres={'shared (pg_ctlcluster restart)' if args.shared else 'private cluster (pg_ctl restart)'}")
    print(*out.rec.table(out.elapsed), sep="\n")
    print(*out.lines(), sep="\n")
    good = out.verdict.ok and not out.failures_after_recovery and out.first_success_after is not None
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
