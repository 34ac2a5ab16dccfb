"""Garbage collection tuned for a screen that redraws while an answer streams.

CPython's cyclic collector holds the GIL while it runs, whichever thread set it off, so
a collection is a pause of the whole UI. Once litellm is imported the process tracks
some 450,000 objects (modules, classes, litellm's tables), and a full collection walked
them all: 100-500 ms, several times during a fast stream, while Textual's frames (each
allocating thousands of short-lived objects) kept triggering young collections that
pushed more survivors towards the next full one.

:func:`settle` runs once, on the start-up worker, when the imports are done:

* ``gc.freeze()`` moves every object alive then (what the imports built, which lives as
  long as the process anyway) to the permanent generation, which no collection walks;
* the youngest generation is collected every ``YOUNG_THRESHOLD`` allocations instead of
  700: each young collection costs a few milliseconds at most, and a stream's frames
  set off a tenth as many, so a full collection comes rarely and walks only what was
  created since the freeze.

Only cyclic garbage waits longer for its collection; reference counting frees the rest
at once, as before.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Freeze what is alive now and collect the young generation less often (see the module docstring)."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
