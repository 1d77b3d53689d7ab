"""Import throughput and memory: generate a JSONL file of preference pairs, import it, print rows/s and RSS.

    .venv/bin/python benchmarks/bench_import.py                  # quick: ~100 MB into a temporary SQLite
    .venv/bin/python benchmarks/bench_import.py --size-mb 1024   # the 1 GB case
    .venv/bin/python benchmarks/bench_import.py --postgres postgresql://postgres@127.0.0.1:5432/test

The file is generated into a temporary directory (and deleted); the run is skipped, with a note, when the
disk lacks room for the file and the database. --postgres imports into a fresh database made for the run.
"""

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("the model answer prompt reply token edit reward minimal change water egg capital city safe "
         "careful because however therefore example simple step first second finally result").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(path: Path, size_bytes: int, file_type: str) -> int:
    """Write pairs (~2 KB a row, every row distinct) until the file reaches size_bytes; returns the rows."""
    rng = random.Random(0)
    paragraphs = [" ".join(sentence(rng, 12) for _ in range(8)) for _ in range(200)]
    rows, written = 0, 0
    with path.open("w", encoding="utf-8") as fh:
        if file_type == "json":
            fh.write("[\n")
        while written < size_bytes:
            row = {
                "id": f"r{rows}",
                "prompt": f"Question {rows}: {paragraphs[rows % 200][:300]}",
                "chosen": paragraphs[(rows * 7) % 200] + " " + paragraphs[(rows * 3) % 200],
                "rejected": paragraphs[(rows * 11) % 200] + f" (variant {rows})",
                "source": "bench",
            }
            line = json.dumps(row)
            if file_type == "json":
                line = ("," if rows else "") + line
            fh.write(line + "\n")
            written += len(line) + 1
            rows += 1
        if file_type == "json":
            fh.write("]\n")
    return rows


def make_database(postgres_dsn: str | None, workdir: Path) -> tuple[str, str | None]:
    if postgres_dsn is None:
        return f"sqlite:///{workdir / 'bench.db'}", None
    import psycopg

    name = f"redline_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", name


def drop_database(postgres_dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=100, help="Size of the generated file (1024 for 1 GB).")
    parser.add_argument("--file-type", choices=["jsonl", "json"], default="jsonl")
    parser.add_argument("--postgres", metavar="DSN", help="Admin DSN of a PostgreSQL server (default: SQLite).")
    parser.add_argument("--tmp", default=tempfile.gettempdir(), help="Where to write the file and SQLite database.")
    args = parser.parse_args()

    size = args.size_mb * 1024 * 1024
    needed = size * (1 if args.postgres else 2.5) + 512 * 1024 * 1024
    free = shutil.disk_usage(args.tmp).free
    if free < needed:
        print(f"SKIPPED: {free / 2**30:.1f} GiB free under {args.tmp}, {needed / 2**30:.1f} GiB needed "
              f"for a {args.size_mb} MB file and its database; pass --tmp DIR or a smaller --size-mb")
        return

    workdir = Path(tempfile.mkdtemp(prefix="redline-bench-import-", dir=args.tmp))
    pg_name = None
    try:
        path = workdir / f"pairs.{args.file_type}"
        t0 = time.perf_counter()
        rows = generate(path, size, args.file_type)
        print(f"generated {rows:,} rows, {path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - t0:.1f} s")

        url, pg_name = make_database(args.postgres, workdir)
        os.environ["DATABASE_URL"] = url
        from app.db import get_engine, get_sessionmaker
        from app.migrate import upgrade
        from app.services.imports import import_file

        upgrade(url)
        process = psutil.Process()
        rss_before = process.memory_info().rss
        rss_peak = rss_before

        def sample(_done: int, _total: int | None) -> None:
            nonlocal rss_peak
            rss_peak = max(rss_peak, process.memory_info().rss)

        t0 = time.perf_counter()
        with get_sessionmaker()() as session:
            report = import_file(session, path, "bench", progress=sample)
        seconds = time.perf_counter() - t0
        get_engine().dispose()
        assert report.created == rows, report
        database = "PostgreSQL" if args.postgres else "SQLite"
        print(f"imported {report.created:,} rows ({report.bytes_read / 2**20:,.0f} MiB {args.file_type}) "
              f"into {database} in {seconds:.1f} s: {report.created / seconds:,.0f} rows/s, "
              f"{report.bytes_read / 2**20 / seconds:.1f} MiB/s")
        print(f"RSS before import {rss_before / 2**20:.0f} MiB, peak during import {rss_peak / 2**20:.0f} MiB "
              f"(process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    finally:
        if pg_name and args.postgres:
            drop_database(args.postgres, pg_name)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
