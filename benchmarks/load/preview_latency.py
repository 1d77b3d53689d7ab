"""Live diff preview latency for a 1,000-word response: what an annotator waits for after each pause.

    .venv/bin/python -m benchmarks.load.preview_latency --words 1000 --requests 300

Two figures: (1) the server's work alone, in process: the shared alignment with the dataset's tokenizer,
the minimality meter and the inline diff HTML (app.web.preview.build_preview plus the fragment
template), for a growing edit as typed; (2) the whole request as the browser's htmx call makes it,
`POST /annotate/items/{id}/preview` with a session cookie and CSRF token, to uvicorn on PostgreSQL, one
annotator previewing back to back, then --concurrent annotators each previewing about every --pause
seconds (the editor sends one preview per typing pause). p50 and p99 of each.
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load.cpu import machine_note
from benchmarks.load.stats import percentile
from benchmarks.load.texts import response_text, small_edit


def typed_edits(original: str, count: int) -> list[str]:
    """The text at each of an annotator's pauses: a few words changed, more as they go."""
    rng = random.Random(0)
    return [small_edit(original, step, rng) for step in range(count)]


def in_process(original: str, edits: list[str]) -> list[float]:
    """Milliseconds per preview computed and rendered in this process (bundled tokenizer, as datasets default)."""
    from app.models import Dataset
    from app.web.preview import build_preview
    from app.web.render import render_template
    from training.bundled import BUNDLED_NAME

    dataset = Dataset(name="bench", tokenizer=BUNDLED_NAME, soft_max_changed_words=30, hard_max_changed_words=80,
                      soft_max_edit_ratio=0.3, hard_max_edit_ratio=0.6)
    for text in edits[:5]:  # load the tokenizer and warm the original's cache, as the page's first load does
        build_preview(original, text, dataset)
    out = []
    for text in edits:
        started = time.perf_counter()
        render_template("annotate/_preview.html", preview=build_preview(original, text, dataset), dataset=dataset,
                        csrf_token="", request=None, user=None)
        out.append((time.perf_counter() - started) * 1000)
    return out


Session = tuple[dict[str, str], dict[str, str], int, str]  # cookies, headers, item id, the item's response


async def over_http(base: str, sessions: list[Session], per_user: int, pause_s: float = 0.0) -> list[float]:
    """Each session sends `per_user` previews of its item, `pause_s` apart (about, jittered); milliseconds each."""
    out: list[float] = []

    async def one(cookies: dict[str, str], headers: dict[str, str], item_id: int, original: str) -> None:
        edits = typed_edits(original, per_user)
        async with httpx.AsyncClient(base_url=base, cookies=cookies, headers=headers, timeout=60) as client:
            rng = random.Random(item_id)
            for text in edits:
                if pause_s:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * pause_s)
                started = time.perf_counter()
                reply = await client.post(f"/annotate/items/{item_id}/preview", data={"edited_text": text})
                elapsed = (time.perf_counter() - started) * 1000
                if reply.status_code != 200:
                    raise RuntimeError(f"preview failed: {reply.status_code} {reply.text[:200]}")
                out.append(elapsed)

    await asyncio.gather(*(one(*session) for session in sessions))
    return out


def browser_sessions(base: str, tokens: list[str], dataset_id: int) -> list[Session]:
    """Per annotator: lease an item over the API, then a signed-in page session with its CSRF token."""
    import re

    out = []
    for token in tokens:
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        item = api.get(f"/api/v1/queue/next?dataset_id={dataset_id}").json()["item"]
        email = api.get("/api/v1/me").json()["email"]
        page = httpx.Client(base_url=base, follow_redirects=True)
        form = page.get("/login").text
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        from benchmarks.load.redline_site import PASSWORD

        page.post("/login", data={"email": email, "password": PASSWORD, "login_csrf": login_csrf})
        html = page.get(f"/annotate/items/{item['id']}").text
        csrf = re.search(r'X-CSRF-Token": "([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
        out.append((dict(page.cookies), {"X-CSRF-Token": csrf, "HX-Request": "true"}, item["id"], item["rejected"]))
    return out


def summary(name: str, ms: list[float]) -> str:
    s = sorted(ms)
    return (f"{name:<44} n={len(s):<5} p50 {statistics.median(s):6.1f} ms   p99 {percentile(s, 99):6.1f} ms"
            f"   max {s[-1]:6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="previews per measurement")
    parser.add_argument("--concurrent", type=int, default=20, help="annotators typing at once")
    parser.add_argument("--pause", type=float, default=0.5,
                        help="seconds between one annotator's previews (the editor sends one per typing pause)")
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args(argv)
    from benchmarks.faults.pg_cluster import PrivateCluster
    from benchmarks.load.redline_site import redline_server, scratch_database, seed

    print(f"# {machine_note()} (shared with other work)")
    original = response_text(args.words, seed=1)
    edits = typed_edits(original, args.requests)
    print(f"response: {len(original.split())} words, {len(original)} characters")
    print(summary("in process (align + meter + diff HTML)", in_process(original, edits)))
    with PrivateCluster() as pg, scratch_database(pg.dsn) as url, tempfile.TemporaryDirectory() as tmp:
        seeded = seed(url, args.concurrent, 0, 0, args.concurrent, args.words)
        with redline_server(url, Path(tmp) / "server.log", workers=args.web_workers) as (base, _):
            sessions = browser_sessions(base, seeded.annotators, seeded.dataset_id)
            asyncio.run(over_http(base, sessions, 5))  # each worker loads the tokenizer and caches the originals
            one = asyncio.run(over_http(base, sessions[:1], args.requests))
            print(summary("HTTP, one annotator (htmx POST .../preview)", one))
            many = asyncio.run(over_http(base, sessions, max(5, args.requests // len(sessions)), args.pause))
            print(summary(f"HTTP, {len(sessions)} annotators, one each {args.pause:g} s", many))
    print(f"# {machine_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
