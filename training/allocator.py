"""Host-memory allocators for training processes: jemalloc by default, glibc's malloc tuned or as it is.

CPU training allocates and frees the same few-MiB activations every step, in a different order in the
backward pass from the forward one. glibc's malloc serves them from its heap after the first step (its mmap
threshold rises with every freed mapping, up to 32 MiB), and the heap fragments: on SmolLM2-135M at 8 pairs
x 256 tokens a side a reward model's peak went from 6.2 GiB after the first step to 8.5 GiB by the fifth.
Pinning that threshold low (`pin_mmap_threshold`) keeps the peak down, but every activation is then faulted
in and zeroed afresh: 35 % slower steps at 4 MiB. jemalloc keeps freed pages in size classes and hands them
out again, so the same run peaks at 5.8 GiB with steps as fast as glibc's.

LD_PRELOAD only takes effect when a process starts, so a training program switches by executing itself
again (`run_on_allocator`) before it loads anything heavy, and a parent that starts one passes
`allocator_env`. Library callers (tests, notebooks) never restart: only a program's own entry point allows
it (`allow_restart`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
GLIBC_MAX_THRESHOLD = 32 * 1024 * 1024  # glibc ignores a larger value on 64-bit systems

ALLOCATORS = ("jemalloc", "system")
JEMALLOC_PATH_ENV = "REDLINE_JEMALLOC"
"""Path of libjemalloc.so to use instead of the one found in the system's library folders."""
SWITCHED_ENV = "REDLINE_ALLOCATOR_SWITCHED"
"""Set in a process started on the chosen allocator, so that it never tries to switch again."""
# Freed pages stay with the process for reuse (the training step needs them again within seconds);
# jemalloc's default gives them back after 10 s and faults them in again, which made steps about 50 % slower
# (see it with MALLOC_CONF=dirty_decay_ms:10000 before benchmarks/bench_reward_model.py --contenders token-bt:
# a MALLOC_CONF of the caller's is kept).
JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"
LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib")
JEMALLOC_NAMES = ("libjemalloc.so.2", "libjemalloc.so")

_restart_allowed = False


def pin_mmap_threshold(size_bytes: int) -> bool:
    """Fix glibc's mmap threshold at `size_bytes`; False where that is impossible (not Linux or not glibc)."""
    if not 0 < size_bytes <= GLIBC_MAX_THRESHOLD:
        raise ValueError(f"mmap threshold must be between 1 byte and 32 MiB, got {size_bytes} bytes")
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)  # musl has none
    return mallopt is not None and mallopt(M_MMAP_THRESHOLD, size_bytes) == 1


def find_jemalloc(dirs: tuple[str, ...] = LIBRARY_DIRS) -> str | None:
    """Path of the jemalloc shared library: $REDLINE_JEMALLOC, else the first in `dirs`; None on other
    systems than Linux or where it is not installed (Debian: libjemalloc2, which Redis depends on)."""
    chosen = os.environ.get(JEMALLOC_PATH_ENV)
    if chosen:
        if not Path(chosen).is_file():
            raise ValueError(f"{JEMALLOC_PATH_ENV}={chosen} is not a file")
        return chosen
    if not sys.platform.startswith("linux"):
        return None
    for folder in dirs:
        for name in JEMALLOC_NAMES:
            if (Path(folder) / name).is_file():
                return str(Path(folder) / name)
    return None


def allocator_in_use() -> str:
    """'jemalloc' when this process has it loaded, else 'system'."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "system"
    return "jemalloc" if "libjemalloc" in maps else "system"


def allocator_env(choice: str, dirs: tuple[str, ...] = LIBRARY_DIRS) -> dict[str, str]:
    """Environment variables that start a child process on `choice`; {} for 'system' or where jemalloc is
    not installed. The caller's own LD_PRELOAD entries and MALLOC_CONF are kept."""
    if choice not in ALLOCATORS:
        raise ValueError(f"unknown allocator {choice!r}: use one of {', '.join(ALLOCATORS)}")
    path = find_jemalloc(dirs) if choice == "jemalloc" else None
    if path is None:
        return {}
    preload = " ".join(p for p in (path, os.environ.get("LD_PRELOAD", "")) if p)
    return {"LD_PRELOAD": preload, "MALLOC_CONF": os.environ.get("MALLOC_CONF", JEMALLOC_CONF), SWITCHED_ENV: "1"}


def allow_restart() -> None:
    """Called by a program's own entry point: `run_on_allocator` may then execute the program again."""
    global _restart_allowed
    _restart_allowed = True


def run_on_allocator(choice: str, dirs: tuple[str, ...] = LIBRARY_DIRS) -> None:
    """Execute this program again on `choice` when it runs on another one and its entry point allowed it;
    otherwise return. Where jemalloc is wanted but missing, say so and carry on with the system's."""
    if not _restart_allowed or os.environ.get(SWITCHED_ENV) or allocator_in_use() == choice:
        return
    env = allocator_env(choice, dirs)
    if not env:
        if choice == "jemalloc":
            print("note: jemalloc is not installed (Debian: apt install libjemalloc2); training on the system "
                  "allocator, which takes more memory on CPU", file=sys.stderr, flush=True)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, {**os.environ, **env})
