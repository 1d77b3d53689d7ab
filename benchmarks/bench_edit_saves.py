"""Draft saves per second through the real server on PostgreSQL (version checks, leases, alignment).

    .venv/bin/python -m benchmarks.bench_edit_saves --users 50 --seconds 20 --web-workers 2

Creates a scratch PostgreSQL database (dropped afterwards), one annotator per simulated user, each with
its own leased item; every user then saves drafts of a ~150-word response back to back (each save sends
the version it got from the previous one). Prints saves/s, p50/p99 latency and errors.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid

import httpx
import psycopg

PG_ADMIN_DSN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RESPONSE = " ".join(f"Step {k}: stir the mixture gently and wait for it to thicken." for k in range(15))


def prepare(url: str, users: int) -> list[tuple[str, int]]:
    """Migrate, create annotators with tokens and one item each, lease it; returns (token, item id)."""
    os.environ["DATABASE_URL"] = url
    from app.db import get_sessionmaker
    from app.migrate import upgrade
    from app.models import Role
    from app.services.queue import lease_next
    from tests.fixtures_app import create_dataset, make_account

    upgrade(url)
    out = []
    with get_sessionmaker()() as session:
        dataset = create_dataset(session, "bench", users)
        for item in dataset.items:
            item.rejected = RESPONSE + f" ({item.id})"
        session.commit()
        for k in range(users):
            account = make_account(session, f"bench{k}@example.org", Role.annotator)
            item, _ = lease_next(session, account.user, ttl_s=3600) or (None, None)
            assert item is not None
            out.append((account.token, item.id))
    return out


async def user_loop(client: httpx.AsyncClient, token: str, item_id: int, stop_at: float,
                    latencies: list[float], errors: list[str]) -> None:
    version, n = 0, 0
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < stop_at:
        n += 1
        text = RESPONSE.replace("gently", f"gently ({n})", 1)
        started = time.perf_counter()
        response = await client.put(f"/api/v1/items/{item_id}/edit", headers=headers,
                                    json={"edited_text": text, "status": "draft", "version": version})
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(f"{response.status_code} {response.text[:100]}")
            return
        version = response.json()["version"]


async def run_load(base: str, pairs: list[tuple[str, int]], seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(pairs) + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for _ in range(4):  # warm up the server processes' connections
            await client.get("/healthz")
        started = time.monotonic()
        await asyncio.gather(*(user_loop(client, t, i, started + seconds, latencies, errors) for t, i in pairs))
        elapsed = time.monotonic() - started
    return latencies, errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    name = f"redline_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    server = None
    try:
        pairs = prepare(url, args.users)
        env = {**os.environ, "DATABASE_URL": url, "HF_HUB_OFFLINE": "1"}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(args.port),
             "--workers", str(args.web_workers), "--log-level", "warning", "--no-access-log"], env=env)
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        latencies, errors, elapsed = asyncio.run(run_load(base, pairs, args.seconds))
        ms = sorted(x * 1000 for x in latencies)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"users={args.users} web_workers={args.web_workers} seconds={elapsed:.1f}")
        print(f"draft saves: {len(ms)} ({len(ms) / elapsed:.0f}/s)  p50 {statistics.median(ms):.1f} ms"
              f"  p99 {p99:.1f} ms  errors {len(errors)}")
        for line in errors[:5]:
            print("  error:", line)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
