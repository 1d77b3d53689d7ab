"""What one lease costs the server on PostgreSQL: statements sent, and CPU and wall time per lease.

    .venv/bin/python -m benchmarks.bench_lease --annotators 200 --leases 2000

A scratch database (dropped afterwards) with the load run's data; every annotator holds a live lease (as
under load, where the queue scans past everyone else's), then annotators take turns leasing the next item
and releasing it, in one process and one thread, so that the figures are the queue's own and not queueing
behind other requests. Prints the median and p99 of CPU and wall time per `lease_next`, and the statements
it sent.
"""

import argparse
import statistics
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from benchmarks.load.redline_site import scratch_database, seed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=200)
    parser.add_argument("--leases", type=int, default=2000, help="leases measured (after 200 warm-up ones)")
    args = parser.parse_args()

    from app.db import make_engine
    from app.models import User
    from app.services.queue import lease_next, release_lease

    with scratch_database(prefix="redline_bench_lease") as url:
        seeded = seed(url, args.annotators + 1, 0, 0, items=args.annotators * 4, words=150)
        engine = make_engine(url)
        statements = [0]
        event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        with Session(engine, expire_on_commit=False) as session:  # as the server's sessions
            users = [session.get(User, uid) for uid in seeded.annotator_ids]
            for user in users[1:]:  # everyone else holds an item, as under load
                assert user is not None and lease_next(session, user) is not None
            me = users[0]
            assert me is not None
            cpu, wall, sent = [], [], []
            for k in range(200 + args.leases):
                before, c0, w0 = statements[0], time.process_time(), time.perf_counter()
                leased = lease_next(session, me)
                c1, w1, after = time.process_time(), time.perf_counter(), statements[0]
                assert leased is not None
                release_lease(session, leased[0].id, me)
                if k >= 200:
                    cpu.append((c1 - c0) * 1000)
                    wall.append((w1 - w0) * 1000)
                    sent.append(after - before)
        engine.dispose()
    print(f"lease_next with {args.annotators} other live leases, {args.leases} leases: "
          f"CPU ms median {statistics.median(cpu):.2f}, p99 {percentile(cpu, 0.99):.2f}; "
          f"wall ms median {statistics.median(wall):.2f}, p99 {percentile(wall, 0.99):.2f}; "
          f"statements per lease {statistics.median(sent):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
