"""Latency and error bookkeeping for the load runs: one recorder per run, a table per endpoint."""

import heapq
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; NaN for no values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Recorder:
    """Latencies (seconds) per endpoint name, and the requests that failed, with why."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    expected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Refusals the scenario expects and handles (a 409 after a fault, a 204 from an empty queue)."""
    finished_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """time.monotonic() at the end of each request in `latencies`, in the same order."""
    slowest: list[tuple[float, float, str]] = field(default_factory=list)
    """(seconds, time.monotonic() at the end, endpoint) of the 20 slowest requests, to find stalls."""

    def ok(self, endpoint: str, seconds: float) -> None:
        now = time.monotonic()
        self.latencies[endpoint].append(seconds)
        self.finished_at[endpoint].append(now)
        if len(self.slowest) < 20 or seconds > self.slowest[0][0]:
            heapq.heappush(self.slowest, (seconds, now, endpoint))
            if len(self.slowest) > 20:
                heapq.heappop(self.slowest)

    def fail(self, endpoint: str, why: str) -> None:
        self.errors[endpoint].append(why)

    def note(self, what: str) -> None:
        self.expected[what] += 1

    def count(self, endpoint: str) -> int:
        return len(self.latencies.get(endpoint, []))

    @property
    def total_errors(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def table(self, elapsed_s: float) -> list[str]:
        """Rows of: endpoint, requests, per second, p50, p99, max (ms), errors."""
        lines = [f"{'endpoint':<22}{'requests':>10}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"]
        for name in sorted(set(self.latencies) | set(self.errors)):
            ms = sorted(x * 1000 for x in self.latencies.get(name, []))
            lines.append(
                f"{name:<22}{len(ms):>10}{len(ms) / elapsed_s:>9.1f}{percentile(ms, 50):>9.1f}"
                f"{percentile(ms, 99):>9.1f}{(ms[-1] if ms else math.nan):>9.1f}{len(self.errors.get(name, [])):>8}"
            )
        return lines

    def p99_by_window(self, endpoint: str, start: float, window_s: float) -> list[float]:
        """p99 latency (ms) of `endpoint` in each `window_s` slice of the run from `start`: a tail that grows
        with the run (the data piling up) looks different from one spread evenly."""
        slices: dict[int, list[float]] = defaultdict(list)
        for seconds, at in zip(self.latencies.get(endpoint, []), self.finished_at.get(endpoint, []), strict=True):
            slices[int((at - start) // window_s)].append(seconds * 1000)
        return [percentile(sorted(slices[k]), 99) for k in sorted(slices)]

    def error_samples(self, limit: int = 8) -> list[str]:
        out = []
        for name, whys in sorted(self.errors.items()):
            for why in whys[:limit]:
                out.append(f"{name}: {why}")
        return out[:limit]
