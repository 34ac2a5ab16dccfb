"""The start-up worker's last step (``app/tui/gc_tuning.py``): what the imports built is frozen
out of the collector's way and young collections come less often."""

from __future__ import annotations

import gc

from app.tui import gc_tuning


def test_settle_freezes_what_is_alive_and_spaces_young_collections() -> None:
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        alive = object.__new__(type("Alive", (), {}))  # a tracked object, alive when settle() runs
        gc_tuning.settle()
        assert gc.get_freeze_count() > frozen
        assert not any(o is alive for o in gc.get_objects())  # frozen: no collection walks it
        assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
