"""The cyclic garbage collector held off while ``cockpit`` starts.

Start-up builds what lives as long as the process: modules, classes, litellm's tables,
the first frame's widgets. Every full collection while they are built walks all of them
and finds next to nothing: measured on this machine, 0.55 s of the 2.6 s of CPU that
``import litellm`` takes, 48 ms of the 68 ms the collector took before the TUI's first
frame (a bare Textual app: 20 ms), and ~1.6 s of the TUI's CPU until its worker had
imported litellm.

* :func:`hold` (``app.cli``, when ``cockpit`` itself runs the TUI or ``cockpit run``)
  switches the collector off;
* :func:`release` switches it back on once start-up is over, first freezing what is alive
  (``gc.freeze()``): no later collection walks it again. The TUI releases it when its
  worker has imported litellm (then ``app/tui/gc_tuning.py`` settles the collector; at the
  first frame when the app imports nothing); ``cockpit run`` when its background import
  of litellm ends. The cyclic garbage start-up left is frozen with it instead of being
  freed: about 2,000 objects after ``import litellm`` (well under 1 MB); 5-10 MB more peak
  RSS after resuming a 1,000-turn session in the TUI (290 MB against 280-286 MB), whose CPU
  until litellm is ready falls from ~10 s to ~7 s.

Reference counting frees everything else at once, held or not. Without :func:`hold`
(tests, a caller of ``app.cli.main``) :func:`release` does nothing.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading


_held = False  # hold() was called and release() not yet


def hold() -> None:
    """Switch the cyclic collector off until :func:`release`."""
    global _held
    _held = True
    gc.disable()


def release(after: threading.Thread | None = None) -> None:
    """Freeze what start-up built and switch the collector back on; a no-op unless held.

    With ``after`` (a thread still at work, e.g. the background import of litellm), that happens when it
    ends, on a thread of its own: the caller goes on at once (its first model call waits for litellm as before)."""
    if not _held:
        return
    if after is not None and after.is_alive():
        import threading

        threading.Thread(target=_release_after, args=(after,), name="cockpit-release-gc", daemon=True).start()
    else:
        _release()


def _release_after(thread: threading.Thread) -> None:
    thread.join()
    _release()


def _release() -> None:
    global _held
    _held = False
    gc.freeze()
    gc.enable()
