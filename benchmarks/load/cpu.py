"""CPU seconds spent by a process tree and by this process: who used the machine during a run."""

import os

import psutil


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (uvicorn workers), including children that
    have exited (PostgreSQL's backends come and go with their connections)."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        reaped = root.cpu_times()
        total += reaped.children_user + reaped.children_system
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        pass
    return total


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def machine_note() -> str:
    """The load average and core count, so a reader can tell a quiet machine from a shared, busy one."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
