"""What one lease and one submit cost the server on PostgreSQL: statements sent, CPU and wall time each.

    .venv/bin/python -m benchmarks.bench_lease --annotators 200 --leases 2000

A scratch database (dropped afterwards) with the load run's data; every annotator holds a live lease (as
under load, where the queue scans past everyone else's), then one annotator leases the next item and
releases it, again and again, in one process and one thread, so that the figures are the service's own and
not queueing behind other requests. Then every other annotator saves a draft of the item they hold and
submits a small edit of it, alternately the locked way (`edits.save_edit`: grading, version and lease
checks, item state, audit in seven statements) and the way the server does (`saving.save_annotation`: the
quick submit in two), with the token-labels task left unqueued (no worker runs here). Prints the median and
p99 of CPU and wall time per call, and the statements each sent (BEGIN and COMMIT not counted).
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


def report(what: str, cpu: list[float], wall: list[float], sent: list[int]) -> None:
    print(f"{what}: CPU ms median {statistics.median(cpu):.2f}, p99 {percentile(cpu, 0.99):.2f}; "
          f"wall ms median {statistics.median(wall):.2f}, p99 {percentile(wall, 0.99):.2f}; "
          f"statements each {statistics.median(sent):.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=200)
    parser.add_argument("--leases", type=int, default=2000, help="leases measured (after 200 warm-up ones)")
    args = parser.parse_args()

    import app.services.edits as edit_service
    from app.db import make_engine
    from app.models import User
    from app.services.queue import lease_next, release_lease
    from app.services.saving import save_annotation

    edit_service.enqueue_labels = lambda edit_id: None  # no worker here to compute token labels

    with scratch_database(prefix="redline_bench_lease") as url:
        seeded = seed(url, args.annotators + 1, 0, 0, items=args.annotators * 4, words=150)
        engine = make_engine(url)
        statements = [0]
        event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        with Session(engine, expire_on_commit=False) as session:  # as the server's sessions
            users = [session.get(User, uid) for uid in seeded.annotator_ids]
            held = []
            for user in users[1:]:  # everyone else holds an item, as under load
                assert user is not None
                leased = lease_next(session, user)
                assert leased is not None
                held.append((user, leased[0]))
            me = users[0]
            assert me is not None
            cpu: list[float] = []
            wall: list[float] = []
            sent: list[int] = []
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
            report(f"lease_next with {args.annotators} other live leases, {args.leases} leases", cpu, wall, sent)
            paths = {"locked (save_edit)": edit_service.save_edit, "quick (save_annotation)": save_annotation}
            figures: dict[str, tuple[list[float], list[float], list[int]]] = {name: ([], [], []) for name in paths}
            for k, (user, item) in enumerate(held):
                draft = save_annotation(session, item.id, user, item.rejected.replace("the", "a", 1), "draft", 0)
                name = list(paths)[k % 2]
                cpu, wall, sent = figures[name]
                before, c0, w0 = statements[0], time.process_time(), time.perf_counter()
                paths[name](session, item.id, user, item.rejected.replace("the", "a", 3), status="submitted",
                            version=draft.version, needs_rewrite=True)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
                sent.append(statements[0] - before)
            for name, (cpu, wall, sent) in figures.items():
                report(f"submit {name} of a 150-word response, {len(cpu)} submits", cpu, wall, sent)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
