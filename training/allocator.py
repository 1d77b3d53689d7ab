"""Stop glibc from hoarding freed activation memory during CPU training.

glibc serves large allocations with their own memory mapping, unmapped when freed, but its threshold for
"large" moves: each freed mapping raises it to that size (up to 32 MiB). After the first training step,
activations of a few MiB to 32 MiB are carved from the heap instead, and the heap fragments, since the
backward pass frees activations in a different order from the one the forward pass took them in. The
process's peak memory then creeps up step after step: on SmolLM2-135M at 8 pairs x 256 tokens a side it
went from 6.2 GiB after the first step to 8.6 GiB after the third. Pinning the threshold keeps large
tensors on their own mappings, so freed ones go back to the system, at the price of faulting in and
zeroing fresh pages for every one of them: with a 4 MiB threshold the reward benchmark's peak fell from
8.5 to 6.0 GiB and its steps took 35 % longer. So it is a choice for runs short of memory, off by default.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
GLIBC_MAX_THRESHOLD = 32 * 1024 * 1024  # glibc ignores a larger value on 64-bit systems


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
