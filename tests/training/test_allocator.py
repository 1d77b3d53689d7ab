"""Pinning glibc's mmap threshold: large freed tensors go back to the system even when small live
allocations sit between them on the heap."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.reward_fixtures import export_file
from training.allocator import (
    JEMALLOC_PATH_ENV,
    SWITCHED_ENV,
    allocator_env,
    find_jemalloc,
    pin_mmap_threshold,
)
from training.config_io import ConfigError, load_config
from training.reward.config import PRESETS, RewardModelConfig

REPO = Path(__file__).resolve().parents[2]

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# 48 x 8 MiB tensors, each followed by a smaller one that stays alive, so that on the heap they could not be
# trimmed away; RSS in MiB after allocating them, and after freeing the large ones. The separators are 512 KiB:
# small ones (a few hundred bytes) were sometimes served from holes lower in the heap, leaving the large
# tensors side by side at its top, where freeing them trims the heap.
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
    small.append(torch.ones(128 * 1024))
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


# --- jemalloc for training programs -------------------------------------------------------------------

SWITCH_PROBE = """
import os, sys
from training import allocator
if sys.argv[1] == 'entry-point':
    allocator.allow_restart()
allocator.run_on_allocator('jemalloc')
print(allocator.allocator_in_use(), os.environ.get(allocator.SWITCHED_ENV, '-'))
"""
JEMALLOC = find_jemalloc()  # Debian's libjemalloc2 comes with Redis, which the test machines run


def run_switch_probe(mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MALLOC_CONF", SWITCHED_ENV)}
    return subprocess.run([sys.executable, "-c", SWITCH_PROBE, mode], capture_output=True, text=True, check=True,
                          cwd=REPO, env={**child_env, **env})


def test_an_entry_point_restarts_itself_on_jemalloc_where_it_is_installed() -> None:
    done = run_switch_probe("entry-point")
    if JEMALLOC:
        assert done.stdout.split() == ["jemalloc", "1"]
    else:
        assert done.stdout.split() == ["system", "-"]
        assert "jemalloc is not installed" in done.stderr


def test_a_library_caller_is_never_restarted() -> None:
    assert run_switch_probe("library").stdout.split() == ["system", "-"]


def test_a_missing_library_leaves_the_system_allocator_and_says_so(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JEMALLOC_PATH_ENV, raising=False)
    assert find_jemalloc(dirs=(str(tmp_path),)) is None
    assert allocator_env("jemalloc", dirs=(str(tmp_path),)) == {}
    assert allocator_env("system") == {}


def test_a_named_library_that_is_not_there_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JEMALLOC_PATH_ENV, str(tmp_path / "libjemalloc.so.2"))
    with pytest.raises(ValueError, match=f"{JEMALLOC_PATH_ENV}=.*libjemalloc.so.2 is not a file"):
        find_jemalloc()
    with pytest.raises(ValueError, match="unknown allocator 'tcmalloc'"):
        allocator_env("tcmalloc")


def test_the_environment_keeps_the_callers_preloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "libjemalloc.so.2"
    fake.write_bytes(b"")
    monkeypatch.setenv("LD_PRELOAD", "/opt/other.so")
    monkeypatch.setenv("MALLOC_CONF", "narenas:2")
    env = allocator_env("jemalloc", dirs=(str(tmp_path),))
    assert env == {"LD_PRELOAD": f"{fake} /opt/other.so", "MALLOC_CONF": "narenas:2", SWITCHED_ENV: "1"}


def test_the_training_program_records_the_allocator_it_ran_on(tmp_path: Path) -> None:
    export = export_file(tmp_path, count=24)
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", SWITCHED_ENV)}
    for choice in ("jemalloc", "system"):
        out = tmp_path / choice
        subprocess.run([sys.executable, "-m", "training.reward.train", "--config", "cpu-tiny",
                        "--set", f"data_path={export}", "--set", "max_steps=1", "--set", "eval_every=0",
                        "--set", "plots=false", "--set", f"cpu_allocator={choice}", "--output-dir", str(out)],
                       cwd=REPO, env=env, check=True, capture_output=True, text=True)
        ran_on = json.loads((out / "run.json").read_text())["cpu_allocator"]
        assert ran_on == ("jemalloc" if choice == "jemalloc" and JEMALLOC else "system")


def test_an_unknown_allocator_in_a_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="cpu_allocator"):
        load_config(RewardModelConfig, "cpu-tiny", PRESETS, ["cpu_allocator=tcmalloc"])
