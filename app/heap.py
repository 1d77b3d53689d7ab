"""Garbage-collector settings for a server process, applied once it has warmed up.

CPython's full collections walk every tracked object. A warmed-up server holds about 146,000 of them
(the routes, the ORM's mappers, the grading tokenizer), none of which ever becomes garbage: one full
collection takes 81 ms on an idle core (benchmarks/bench_gc_pause.py), longer under load, and holds up
every request in flight. Freezing them moves them out of the collector's sight; a larger first generation makes the
young collections, which run every few requests otherwise, rarer.
"""

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 20_000  # objects allocated between young collections (CPython's default: 700)


def warm_up() -> None:
    """Load what the first request would otherwise load: the bundled tokenizer that grades edits.
    A failure is logged, not raised: the first save that needs the tokenizer reports it precisely."""
    from app.services.diffing import edit_figures

    try:
        edit_figures("A warm-up sentence to grade.", "A warm-up sentence, graded.")
    except Exception as error:
        log.warning("warm-up could not grade a sample edit (%s); starting without it", error)


def settle() -> None:
    """Collect once, freeze what survives, and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


@contextmanager
def settled() -> Iterator[None]:
    """settle() for a stretch of work (a load generator's run), then the collector as it was."""
    threshold = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
