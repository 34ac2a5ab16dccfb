"""Benchmark: replaying a 100,000-event session (``--events N`` for another size).

A realistic generated session (turns of model calls with usage, tool calls with
results, context measurements, retries, compactions, feedback) is written into
a temporary database through ``EventStore.append_many``. Then, with
``App.run_test()``:

* first frame: from starting the replay app to the first position drawn (the
  header and the first page of events read and decoded, the screen rendered;
  the rest is folded behind it); goal < 1 s.
* a step forward / back: from the key's action to the frame that shows it, the
  panes' coalesced redraw included; goal < 50 ms (median and p95 of 50 each way,
  from the middle of the session).
* a jump to the middle right after opening (ahead of the background fold: it
  folds on to it), to the end and back to the start (printed, no goal).

The baseline, measured in the same run: the first frame of a bare Textual app,
and one frame of it after a label changes. Ratios are printed against it.

Run: ``python benchmarks/bench_replay.py`` (exit code 1 when a goal is missed).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402

from app.replay.synthetic import generate_session  # noqa: E402
from app.tui.replay_app import ReplayApp  # noqa: E402
from app.tui.screens.replay import ReplayScreen  # noqa: E402
from benchmarks.goals import report  # noqa: E402
from storage.db import open_db  # noqa: E402
from storage.store import EventStore  # noqa: E402
from widgets.context_budget import ContextBudgetPane  # noqa: E402

EVENTS = 100_000
STEPS = 50
SIZE = (140, 45)
FIRST_FRAME_GOAL_S = 1.0
STEP_GOAL_MS = 50.0
SESSION_ID = "bench-replay"


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Static("hello", id="label")


async def next_frame(screen) -> None:
    """Until the screen has been drawn after what was just changed."""
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()


async def baseline() -> tuple[float, float]:
    """(first frame, one frame after a change) of a bare Textual app, in seconds."""
    start = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await next_frame(app.screen)
        first = time.perf_counter() - start
        frames = []
        for n in range(STEPS):
            t = time.perf_counter()
            app.query_one("#label", Static).update(f"hello {n}")
            await next_frame(app.screen)
            frames.append(time.perf_counter() - t)
        await pilot.pause()
    return first, statistics.median(frames)


async def measure(db) -> dict[str, object]:
    start = time.perf_counter()
    app = ReplayApp(db, SESSION_ID)
    loaded: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        while not (isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None):
            await asyncio.sleep(0.001)
        screen: ReplayScreen = app.screen  # type: ignore[assignment]
        await next_frame(screen)
        loaded.append(time.perf_counter() - start)
        pane = screen.query_one(ContextBudgetPane)

        async def move(action, *args) -> float:
            """Seconds from the action to the frame showing it (and the budget pane's redraw, if any)."""
            renders = pane.renders
            t = time.perf_counter()
            action(*args)
            await next_frame(screen)
            if pane._timer is not None:  # a redraw of the budget pane is pending: wait for it too
                while pane.renders == renders:
                    await asyncio.sleep(0)
                await next_frame(screen)
            return time.perf_counter() - t

        t = time.perf_counter()
        screen.go(len(screen.timeline) // 2)  # ahead of the background fold: folds on to it first
        await next_frame(screen)
        middle = time.perf_counter() - t
        await pilot.pause(0.1)
        forward = [await move(screen.action_step, 1) for _ in range(STEPS)]
        back = [await move(screen.action_step, -1) for _ in range(STEPS)]
        to_end = await move(screen.action_end)
        to_start = await move(screen.action_start)
        events = len(screen.timeline)
    return {"first_frame": loaded[0], "forward": forward, "back": back, "end": to_end, "start": to_start,
            "middle": middle, "events": events}


def write_session(db, size: int) -> int:
    events = generate_session(SESSION_ID, events=size)
    EventStore(db).append_many(e.to_dict() for e in events)
    return len(events)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> int:
    size = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else EVENTS
    folder = Path(tempfile.mkdtemp(prefix="cockpit-bench-replay-"))
    db = open_db(folder / "cockpit.db")
    t = time.perf_counter()
    written = write_session(db, size)  # the generated events are gone once written, as in a real replay
    print(f"session: {written:,} events written in {time.perf_counter() - t:.2f} s (into a temporary database)")

    bare_first, bare_frame = asyncio.run(baseline())
    result = asyncio.run(measure(db))
    first = result["first_frame"]
    forward_ms = [v * 1000 for v in result["forward"]]  # type: ignore[union-attr]
    back_ms = [v * 1000 for v in result["back"]]  # type: ignore[union-attr]
    bare_ms = bare_frame * 1000

    print(f"baseline: bare app first frame {bare_first * 1000:.0f} ms; one frame after a change {bare_ms:.1f} ms")
    print(f"first frame of the replay ({result['events']:,} events): {first * 1000:.0f} ms "
          f"(goal < {FIRST_FRAME_GOAL_S * 1000:.0f} ms; {first / bare_first:.1f}× the bare app)")
    for name, values in (("step forward", forward_ms), ("step back", back_ms)):
        median = statistics.median(values)
        print(f"{name}: median {median:.1f} ms, p95 {p95(values):.1f} ms, max {max(values):.1f} ms "
              f"(goal < {STEP_GOAL_MS:.0f} ms; median {median / bare_ms:.1f}× a bare frame)")
    print(f"jump to the middle right after opening (folds on to it) {result['middle'] * 1000:.0f} ms; "
          f"then to the end (the background fold waits while the cursor moves: it folds on to it too) "
          f"{result['end'] * 1000:.0f} ms, back to the start {result['start'] * 1000:.0f} ms")

    events_label = f"{result['events']:,} events"
    ok_first = report(f"replay opens ({events_label})", goal=f"< {FIRST_FRAME_GOAL_S:.0f} s", measured=f"{first * 1000:.0f} ms",
                      ratio=first / FIRST_FRAME_GOAL_S, ok=first < FIRST_FRAME_GOAL_S).ok
    worst = max(p95(forward_ms), p95(back_ms))
    ok_step = report(f"replay step p95 ({events_label})", goal=f"< {STEP_GOAL_MS:.0f} ms", measured=f"{worst:.1f} ms",
                     ratio=worst / STEP_GOAL_MS, ok=worst < STEP_GOAL_MS).ok
    db.close()
    shutil.rmtree(folder, ignore_errors=True)  # ~110 MB per run of 100k events
    return 0 if ok_first and ok_step else 1


if __name__ == "__main__":
    sys.exit(main())
