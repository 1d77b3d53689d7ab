"""Latency of the editor's live diff preview for a long response: the shared alignment with the bundled
tokenizer, the inline token stream and the meter, rendered to the HTML fragment htmx swaps in.

    .venv/bin/python -m benchmarks.bench_preview --words 1000 --runs 300

Each run previews a different small edit of the same original (as while typing: the original's
tokenization is cached, the edited text is new each time). Prints p50/p99/max in milliseconds for the
server-side work alone (`compute`) and for the whole POST through the app in process (`request`).
"""

import argparse
import os
import random
import re
import statistics
import tempfile
import time

from benchmarks.alignment_texts import make_edit, make_response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{name:8s} p50 {statistics.median(ms):6.2f} ms   p99 {percentile(ms, 0.99):6.2f} ms   "
          f"max {max(ms):6.2f} ms   ({len(ms)} runs)")


def bench_compute(original: str, edits: list[str]) -> list[float]:
    from app.models import Dataset
    from app.web.preview import build_preview
    from app.web.render import render_template

    dataset = Dataset(name="bench", tokenizer="smollm2-135m-instruct", soft_max_changed_words=30,
                      hard_max_changed_words=80, soft_max_edit_ratio=0.3, hard_max_edit_ratio=0.6)
    render_template("annotate/_preview.html", preview=build_preview(original, edits[0], dataset), dataset=dataset)
    times = []
    for edited in edits:
        start = time.perf_counter()
        preview = build_preview(original, edited, dataset)
        render_template("annotate/_preview.html", preview=preview, dataset=dataset)
        times.append(time.perf_counter() - start)
    return times


def bench_request(original: str, edits: list[str]) -> list[float]:
    """The whole POST /annotate/items/{id}/preview (login, CSRF, lease check, fragment) on SQLite."""
    path = os.path.join(tempfile.mkdtemp(prefix="redline-bench-"), "bench.db")
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    from fastapi.testclient import TestClient

    from app import config
    from app import db as app_db
    from app.db import get_sessionmaker
    from app.main import create_app
    from app.migrate import upgrade
    from app.models import Dataset, Item, Role
    from app.services import queue, users

    for cached in (config.get_settings, app_db.get_engine, app_db.get_sessionmaker):
        cached.cache_clear()  # the compute run already read the settings: point them at the scratch file
    upgrade(os.environ["DATABASE_URL"])
    with get_sessionmaker()() as s:
        user = users.create_user(s, "bench@example.org", Role.annotator, "bench password")
        dataset = Dataset(name="bench")
        s.add(dataset)
        s.flush()
        item = Item(dataset_id=dataset.id, external_id="1", prompt="p", chosen="c", rejected=original,
                    content_hash="0" * 64)
        s.add(item)
        s.commit()
        queue.lease_next(s, user, dataset.id)
        item_id = item.id
    client = TestClient(create_app())
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"email": "bench@example.org", "password": "bench password", "login_csrf": token})
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/annotate").text).group(1)  # type: ignore[union-attr]
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    url = f"/annotate/items/{item_id}/preview"
    client.post(url, data={"edited_text": edits[0]}, headers=headers)
    times = []
    for edited in edits:
        start = time.perf_counter()
        reply = client.post(url, data={"edited_text": edited}, headers=headers)
        times.append(time.perf_counter() - start)
        assert reply.status_code == 200, reply.text[:200]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=1000, help="Words in the response.")
    parser.add_argument("--runs", type=int, default=300, help="Previews to time.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rng = random.Random(args.seed)
    original = make_response(rng, args.words)
    edits = [make_edit(rng, original) for _ in range(args.runs)]
    print(f"response: {len(original.split())} words, {len(original)} characters")
    report("compute", bench_compute(original, edits))
    report("request", bench_request(original, edits))


if __name__ == "__main__":
    main()
