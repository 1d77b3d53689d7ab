"""Load test of the annotation server on PostgreSQL: throughput, p50/p99 per endpoint, errors, and a check
that every acknowledged write is stored (submissions exactly once).

    .venv/bin/python -m benchmarks.load.run --annotators 200 --reviewers 5 --admins 1 --seconds 60
    .venv/bin/python -m benchmarks.load.run --annotators 50 --think 0 --drafts-only --seconds 20

Annotators loop lease -> draft saves (one per pause of about --think seconds) -> submit; reviewers poll
the review queue (API and page) and an admin polls the dashboard page and dataset progress. The server is
uvicorn with --web-workers processes on a scratch database (created and dropped by the run); submits
queue their token-labels task on a private Redis (no worker runs: the queue only fills).
"""

import argparse
import asyncio
import math
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from benchmarks.faults.pg_cluster import SHARED_DSN, PrivateCluster
from benchmarks.faults.redis_server import PrivateRedis
from benchmarks.load.cpu import machine_note, own_cpu_seconds, tree_cpu_seconds
from benchmarks.load.redline_site import redline_server, scratch_database, seed
from benchmarks.load.scenario import Scenario, run_team
from benchmarks.load.verify import verify


def exception_lines(log: str) -> Counter[str]:
    """The last line of each traceback in a server log (the exception), counted."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = k + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            if end < len(lines):
                found[lines[end]] += 1
    return found


def in_place_updates(url: str) -> str:
    """How many of the edits table's updates PostgreSQL wrote beside the row, without new index entries
    (heap-only tuples: the edits pages' free space is there for them)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'edits'").fetchone()
    updated, in_place = row if row else (0, 0)
    return f"edits updates written in place (heap-only): {in_place} of {updated} ({100 * in_place / max(updated, 1):.0f} %)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=200)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--admins", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of the same load before measuring: longer than one item's cycle (5 saves and a "
                             "submit, 6 s), so that every pooled connection has planned each statement once")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between an annotator's saves")
    parser.add_argument("--saves-per-item", type=int, default=5)
    parser.add_argument("--drafts-only", action="store_true", help="no submits: one leased item, drafts only")
    parser.add_argument("--words", type=int, default=150, help="words in each response being edited")
    parser.add_argument("--items", type=int, default=0, help="items to seed (default: enough for the run)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--broker", choices=("redis", "embedded"), default="redis",
                        help="redis: a private Redis for the labels tasks of submits (default); embedded: "
                             "no REDIS_URL, the tasks go to the database broker")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the server, e.g. MAX_INFLIGHT_REQUESTS=8 or DB_POOL_SIZE=10 (repeatable)")
    parser.add_argument("--pg", choices=("private", "shared"), default="private",
                        help="private: a throwaway PostgreSQL cluster of this run's own (default); shared: a "
                             "scratch database on the machine's server ($REDLINE_TEST_PG), whose 100 "
                             "connections other work on the machine also uses")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sc = Scenario(seconds=args.seconds, think_s=args.think, saves_per_item=args.saves_per_item,
                  submit=not args.drafts_only)
    items = args.items or max(args.annotators * 2, int(args.annotators * args.seconds / max(args.think, 0.05)))
    print(f"# {machine_note()} (shared with other work: compare runs, not absolutes)")
    with ExitStack() as stack:
        env = {"REDIS_URL": stack.enter_context(PrivateRedis()).url} if args.broker == "redis" else {}
        env.update(item.split("=", 1) for item in args.server_env)
        cluster = None if args.pg == "shared" else stack.enter_context(PrivateCluster())
        admin_dsn = cluster.dsn if cluster else SHARED_DSN
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(scratch_database(admin_dsn))
        seeded = seed(url, args.annotators, args.reviewers, args.admins, items, args.words)
        log = Path(tmp) / "server.log"
        with redline_server(url, log, workers=args.web_workers, **env) as (base, proc):
            team = (base, seeded.dataset_id, seeded.annotators, seeded.reviewers, seeded.admins)
            if args.warmup > 0:  # its writes are checked too; only its timings are left out
                _, warm_ledger, _ = asyncio.run(run_team(*team, replace(sc, seconds=args.warmup)))
            server_cpu, client_cpu = tree_cpu_seconds(proc.pid), own_cpu_seconds()
            pg_cpu = tree_cpu_seconds(cluster.pid) if cluster else math.nan
            rec, ledger, elapsed = asyncio.run(run_team(*team, sc))
            if args.warmup > 0:
                ledger.submissions[:0] = warm_ledger.submissions
                ledger.last_draft = {**warm_ledger.last_draft, **ledger.last_draft}
            server_cpu = tree_cpu_seconds(proc.pid) - server_cpu
            client_cpu = own_cpu_seconds() - client_cpu
            pg_cpu = (tree_cpu_seconds(cluster.pid) if cluster else math.nan) - pg_cpu
        verdict = verify(url, ledger, seeded.annotator_ids)
        updates = in_place_updates(url)
        server_errors = exception_lines(log.read_text(errors="replace"))
    mode = "drafts only" if args.drafts_only else f"{args.saves_per_item} drafts then submit"
    print(f"annotators={args.annotators} reviewers={args.reviewers} admins={args.admins} think={args.think}s "
          f"({mode}) words={args.words} web_workers={args.web_workers} broker={args.broker} "
          f"postgres={args.pg} elapsed={elapsed:.1f}s {' '.join(args.server_env)}")
    print(*rec.table(elapsed), sep="\n")
    writes = rec.count("draft save") + rec.count("submit")
    print(f"writes acknowledged: {writes} ({writes / elapsed:.0f}/s); errors: {rec.total_errors}; "
          f"expected refusals: {dict(rec.expected) or 'none'}")
    print(f"CPU seconds: server {server_cpu:.0f}, PostgreSQL {pg_cpu:.0f}, load generator {client_cpu:.0f} "
          f"(of {2 * elapsed:.0f} on 2 cores); "
          f"server tracebacks: {sum(server_errors.values())}")
    for line, count in server_errors.most_common(5):
        print(f"  {count} x {line[:200]}")
    print(*rec.error_samples(), sep="\n") if rec.total_errors else None
    print(*verdict.lines(), sep="\n")
    print(updates)
    start = ledger.successes[0] if ledger.successes else 0.0
    window = max(5.0, elapsed / 6)
    for endpoint in ("draft save", "submit", "lease"):
        tails = rec.p99_by_window(endpoint, start, window)
        print(f"p99 {endpoint} ms per {window:.0f} s of the run: " + ", ".join(f"{ms:.0f}" for ms in tails))
    slow = sorted(rec.slowest, key=lambda r: r[1])
    print("slowest requests (ms @ s into the run): " + ", ".join(f"{name} {s * 1000:.0f} @ {at - start:.0f}"
                                                               for s, at, name in slow[-10:]))
    print(f"# {machine_note()}")
    return 0 if verdict.ok and rec.total_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
