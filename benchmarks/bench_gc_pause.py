"""How long one full garbage collection stops a warmed-up server process, before and after app/heap.py
freezes its start-up objects (each such pause holds up every request the process has in flight).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_gc_pause.py
"""

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def full_collection_ms(runs: int = 7) -> float:
    """Median wall time of gc.collect() over `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    from app import heap
    from app.main import create_app

    create_app()
    heap.warm_up()  # what the lifespan does before the first request
    objects = len(gc.get_objects())
    before = full_collection_ms()
    heap.settle()
    after = full_collection_ms()
    print(f"warmed-up server process: {objects:,} tracked objects, {gc.get_freeze_count():,} frozen by heap.settle()")
    print(f"one full collection: {before:.1f} ms unfrozen, {after * 1000:.0f} us frozen")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
