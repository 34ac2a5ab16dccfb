"""Keeping a long replay out of the cyclic garbage collector's way.

A long session's events, transcript entries and checkpoints are millions of
objects that live as long as its Replay screen. Python's collector walks every
tracked object each time it collects the oldest generation, which it does each
time that generation has grown by a quarter: 100 ms to 500 ms a time, several
times a minute while stepping through a 100,000-event session. ``gc.freeze``
moves what exists now out of its reach (refcounting still frees what is
dropped; only cyclic garbage frozen waits for the unfreeze).

A screen that folds a long session calls :func:`hold` once, :func:`freeze`
after each page it folds (and after a move that folded or restored a copy of
the panes' states), and :func:`release` when it closes: the last release
unfreezes. If something was frozen before the first hold (the TUI's start-up
freeze, ``app.tui.gc_tuning``), it says so, and :func:`refreeze`, called once the
screen is gone, collects what the replay left behind (its cycles too) and
freezes what still lives: the process is left as it was, less the replay.
"""

from __future__ import annotations

import gc

_holders = [0]  # how many screens hold the freeze
_frozen_before = [False]  # something was frozen before the first hold


def hold() -> None:
    if not _holders[0]:
        _frozen_before[0] = gc.get_freeze_count() > 0
    _holders[0] += 1


def freeze() -> None:
    """Move every object that exists now out of the collector's reach (cheap: a list splice)."""
    if _holders[0] > 0:
        gc.freeze()


def release() -> bool:
    """Give up one hold; True when that was the last and the process was frozen before (call
    :func:`refreeze` once the screen is gone)."""
    if not _holders[0]:
        return False
    _holders[0] -= 1
    if _holders[0]:
        return False
    gc.unfreeze()
    return _frozen_before[0]


def refreeze() -> None:
    """Collect once (the replay's objects are garbage now, cycles included) and freeze what lives."""
    if not _holders[0]:
        gc.collect()
        gc.freeze()
