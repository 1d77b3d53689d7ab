"""What the reviewers' and the admin's polled pages cost the server, as the submitted edits pile up.

    .venv/bin/python -m benchmarks.bench_pages --edits 2000 --requests 40

Under load these pages are few (the load run's 5 reviewers and 1 admin send about 5 a second) but each
holds a server process's interpreter while it reads and renders, and every save in that process waits
behind it. A scratch PostgreSQL database (dropped afterwards) gets the load run's accounts and items, and
`--edits` edits submitted through the server's own save path; then a one-process server answers each page
`--requests` times in a row, alone on it. Prints per page: wall time (median, p99), the server's CPU time
per request (its process CPU over the requests, divided by their number) and the size of the answer.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load.cpu import machine_note, tree_cpu_seconds
from benchmarks.load.redline_site import redline_server, scratch_database, seed


def submit_edits(url: str, annotator_ids: list[int], count: int) -> None:
    """`count` edits submitted through the server's save path, spread over the annotators."""
    from sqlalchemy.orm import Session

    import app.services.edits as edit_service
    from app.db import make_engine
    from app.models import User
    from app.services.queue import lease_next
    from app.services.saving import save_annotation

    edit_service.enqueue_labels = lambda edit_id: None  # no worker here to compute token labels
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        users = [session.get(User, uid) for uid in annotator_ids]
        for k in range(count):
            user = users[k % len(users)]
            assert user is not None
            leased = lease_next(session, user)
            assert leased is not None, "seed more items"
            item = leased[0]
            # Every fifth edit rewrites more than the soft limit allows, so the dashboard's share is not 0.
            edited = item.rejected.replace("the", "a", 12 if k % 5 == 0 else 2)
            draft = save_annotation(session, item.id, user, edited, "draft", 0, time_spent_s=5.0 + k % 17)
            save_annotation(session, item.id, user, edited, "submitted", draft.version, time_spent_s=3.0,
                            needs_rewrite=True)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=2000, help="submitted edits in the database")
    parser.add_argument("--requests", type=int, default=40, help="requests per page (after 5 warm-up ones)")
    args = parser.parse_args()
    print(f"# {machine_note()}")
    with scratch_database(prefix="redline_bench_pages") as url, tempfile.TemporaryDirectory() as tmp:
        seeded = seed(url, 50, 1, 1, items=args.edits + 100, words=150)
        started = time.perf_counter()
        submit_edits(url, seeded.annotator_ids, args.edits)
        print(f"{args.edits} edits submitted in {time.perf_counter() - started:.0f} s")
        pages = {
            "review page": ("reviewer", f"/review?dataset_id={seeded.dataset_id}"),
            "review queue (API)": ("reviewer", f"/api/v1/review/queue?dataset_id={seeded.dataset_id}&limit=20"),
            "dashboard page": ("admin", "/dashboard"),
            "dataset progress": ("admin", f"/api/v1/datasets/{seeded.dataset_id}"),
        }
        tokens = {"reviewer": seeded.reviewers[0], "admin": seeded.admins[0]}
        with redline_server(url, Path(tmp) / "server.log", workers=1) as (base, proc), httpx.Client(base_url=base) as client:
            print(f"{'page':<22}{'wall ms p50':>12}{'p99':>8}{'server CPU ms':>15}{'bytes':>9}")
            for name, (role, path) in pages.items():
                headers = {"Authorization": f"Bearer {tokens[role]}"}
                for _ in range(5):
                    assert client.get(path, headers=headers).status_code == 200
                walls = []
                cpu_before = tree_cpu_seconds(proc.pid)
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    response = client.get(path, headers=headers)
                    walls.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text[:300]
                cpu_ms = (tree_cpu_seconds(proc.pid) - cpu_before) * 1000 / args.requests
                walls.sort()
                p99 = walls[min(len(walls) - 1, int(0.99 * len(walls)))]
                print(f"{name:<22}{statistics.median(walls):>12.1f}{p99:>8.1f}{cpu_ms:>15.1f}{len(response.content):>9}")
    print(f"# {machine_note()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
