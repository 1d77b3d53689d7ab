"""Pinning glibc's mmap threshold: large freed tensors go back to the system even when small live
allocations sit between them on the heap."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from training.allocator import pin_mmap_threshold
from training.reward.config import RewardModelConfig

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# 48 x 8 MiB tensors, each followed by a small one that stays alive, so that on the heap they could not be
# trimmed away; RSS in MiB after allocating them, and after freeing the large ones.
PROBE = """
import sys, torch
from training.allocator import pin_mmap_threshold
def rss_mib():
    return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20
if sys.argv[1] == 'pin':
    assert pin_mmap_threshold(1024 * 1024)
warm = torch.ones(2 * 2**20)  # one freed 8 MiB block: glibc's moving threshold rises above it
del warm
large, small = [], []
for _ in range(48):
    large.append(torch.ones(2 * 2**20))
    small.append(torch.ones(64))
held = rss_mib()
large.clear()
print(held, rss_mib())
"""


def held_and_left(mode: str) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    held, left = map(float, done.stdout.split())
    return held, left


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's; elsewhere pin_mmap_threshold returns False")
def test_a_pinned_threshold_returns_freed_tensors_to_the_system() -> None:
    held, left = held_and_left("pin")
    assert held - left > 300  # of the 384 MiB freed


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's; elsewhere pin_mmap_threshold returns False")
def test_glibcs_moving_threshold_keeps_them() -> None:
    held, left = held_and_left("default")
    assert held - left < 100  # why the trainer pins it


def test_out_of_range_thresholds_are_refused() -> None:
    for bad in (0, 33 * 1024 * 1024):
        with pytest.raises(ValueError, match="between 1 byte and 32 MiB"):
            pin_mmap_threshold(bad)
    with pytest.raises(ValueError, match="cpu_mmap_threshold_mib must be in"):
        RewardModelConfig(cpu_mmap_threshold_mib=64)
