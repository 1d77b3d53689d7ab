"""A minimal (LCS, insert/delete only) diff of two unit sequences, as groups of changed unit ranges.

Small problems go to rapidfuzz's bit-parallel Indel alignment (C++, but its backtrace matrix takes
n*m/8 bytes). Large ones, as a 100,000-character text with edits at both ends, go to Myers' O((n+m)D)
greedy algorithm, whose runs of equal units are compared by C-level slice comparisons, so a sparse edit
of a long text costs little time and memory; when the edit is too dense for Myers to pay off, rapidfuzz
takes over. Either way the result is an optimal LCS alignment.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import Indel

RAPIDFUZZ_MAX_CELLS = 4_000_000  # n*m up to this goes straight to rapidfuzz (a backtrace matrix of 0.5 MB)

Group = list[int]  # [i1, i2, j1, j2]: ua[i1:i2] becomes ub[j1:j2]; runs of equal units lie between groups


def rapidfuzz_groups(ua: Sequence[Any], ub: Sequence[Any]) -> list[Group]:
    """Maximal runs of non-equal opcodes of rapidfuzz's Indel alignment (elements compared by hash)."""
    groups: list[Group] = []
    current: Group | None = None
    opcodes: list[Any] = Indel.opcodes(ua, ub).as_list()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            current = None
        elif current is None:
            current = [i1, i2, j1, j2]
            groups.append(current)
        else:
            current[1], current[3] = i2, j2
    return groups


def _snake(ua: Sequence[Any], ub: Sequence[Any], x: int, y: int) -> int:
    """How many units from ua[x] and ub[y] on are equal: galloping, then bisecting, over slice comparisons."""
    limit = min(len(ua) - x, len(ub) - y)
    if limit <= 0 or ua[x] != ub[y]:
        return 0
    lo, step = 1, 1  # ua[x:x+lo] == ub[y:y+lo] is known
    while True:
        hi = min(lo + step, limit)
        if hi == lo:
            return lo
        if ua[x + lo:x + hi] != ub[y + lo:y + hi]:
            break
        lo, step = hi, step * 2
    while hi - lo > 1:  # the first mismatch lies in [lo, hi)
        mid = (lo + hi) // 2
        if ua[x + lo:x + mid] == ub[y + lo:y + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _step(prev: array, base: int, k: int, d: int, n: int, m: int) -> tuple[int, bool]:
    """(x before the snake, came down) for diagonal k at cost d, from the V array of cost d-1 (-1 marks
    a diagonal no path reaches); x = -1 when no move stays inside the grid."""
    down = prev[base + k + 1] if k < d else -1  # insert ub[y-1]: from diagonal k+1
    right = prev[base + k - 1] + 1 if k > -d and prev[base + k - 1] >= 0 else -1  # delete ua[x-1]
    if down >= 0 and (down > n or down - k > m):
        down = -1
    if right >= 0 and (right > n or right - k > m):
        right = -1
    if down >= right:
        return down, True
    return right, False


def myers_groups(ua: Sequence[Any], ub: Sequence[Any], max_cost: int) -> list[Group] | None:
    """Groups of an optimal LCS alignment by Myers' greedy algorithm, or None when it needs more than
    `max_cost` insertions plus deletions."""
    n, m = len(ua), len(ub)
    base = max_cost + 1
    v = array("q", [-1]) * (2 * max_cost + 3)
    v[base + 1] = 0  # a virtual start on diagonal 1, so that d = 0 begins at (0, 0) by a "down" move
    trace: list[array] = []
    for d in range(max_cost + 1):
        prev = array("q", v)
        for k in range(-d, d + 1, 2):
            if d == 0:
                x, _ = 0, True
            else:
                x, _ = _step(prev, base, k, d, n, m)
            if x >= 0:
                y = x - k
                if y < 0:
                    x = -1
                else:
                    x += _snake(ua, ub, x, y)
            v[base + k] = x
            if x == n and x - k == m:
                trace.append(prev)
                return _backtrack(ua, ub, trace, base, n, m, d)
        trace.append(prev)
    return None


def _backtrack(ua: Sequence[Any], ub: Sequence[Any], trace: list[array], base: int, n: int, m: int, cost: int
               ) -> list[Group]:
    """Walk back from (n, m): trace[d] is the V array before cost d was explored (that of cost d-1)."""
    ops: list[tuple[int, int, bool]] = []  # (x, y, is_insert) of each edit, last first
    x, y = n, m
    for d in range(cost, 0, -1):
        k = x - y
        start_x, came_down = _step(trace[d], base, k, d, n, m)
        if came_down:  # from (start_x, start_x - k - 1) down one: ub[start_x - k - 1] inserted
            prev_x, prev_y = start_x, start_x - k - 1
            ops.append((prev_x, prev_y, True))
        else:  # from (start_x - 1, start_x - k) right one: ua[start_x - 1] deleted
            prev_x, prev_y = start_x - 1, start_x - k
            ops.append((prev_x, prev_y, False))
        x, y = prev_x, prev_y
    groups: list[Group] = []
    for ox, oy, is_insert in reversed(ops):
        if groups and groups[-1][1] == ox and groups[-1][3] == oy:
            group = groups[-1]
        else:
            group = [ox, ox, oy, oy]
            groups.append(group)
        if is_insert:
            group[3] += 1
        else:
            group[1] += 1
    return groups


def changed_groups(ua: Sequence[Any], ub: Sequence[Any]) -> list[Group]:
    """Groups of an optimal LCS alignment of two unit sequences, the engine chosen by size."""
    n, m = len(ua), len(ub)
    if n * m <= RAPIDFUZZ_MAX_CELLS:
        return rapidfuzz_groups(ua, ub)
    # Myers costs about d*d/2 Python steps, rapidfuzz about n*m/64 word operations (roughly 100 times
    # cheaper each): give Myers the cost at which both take about as long.
    groups = myers_groups(ua, ub, max(64, int((n * m / 640) ** 0.5)))
    return groups if groups is not None else rapidfuzz_groups(ua, ub)


def _best_shift(fixed: Sequence[Any], pos: int, moved: Sequence[Any], m1: int, m2: int, lo: int, hi: int
                ) -> int:
    """How far to slide the insertion of `moved[m1:m2]` at `fixed` position `pos` (within [lo, hi]) so
    that the moved units start with whitespace, as tokens with a leading space (GPT-2, SentencePiece)
    expect: " black" inserted after "the", not "black " before "cat", keeps " cat" unchanged."""
    left = 0
    while pos - left > lo and fixed[pos - left - 1] == moved[m2 - left - 1]:
        left += 1
    right = 0
    while pos + right < hi and fixed[pos + right] == moved[m1 + right]:
        right += 1
    for shift in range(right, -left - 1, -1):
        if moved[m1 + shift][0].isspace():
            return shift
    return 0


def slide_pure_groups(groups: list[Group], ua: Sequence[str], ub: Sequence[str]) -> None:
    """Among the equally minimal places of each pure insertion or deletion, pick one that starts with
    whitespace; a group never slides into its neighbour (at least one equal unit stays between)."""
    last = len(groups) - 1
    for g, (i1, i2, j1, j2) in enumerate(groups):
        if i1 == i2:
            lo = groups[g - 1][1] + 1 if g else 0
            hi = groups[g + 1][0] - 1 if g < last else len(ua)
            shift = _best_shift(ua, i1, ub, j1, j2, lo, hi)
        elif j1 == j2:
            lo = groups[g - 1][3] + 1 if g else 0
            hi = groups[g + 1][2] - 1 if g < last else len(ub)
            shift = _best_shift(ub, j1, ua, i1, i2, lo, hi)
        else:
            continue
        if shift:
            groups[g] = [i1 + shift, i2 + shift, j1 + shift, j2 + shift]
