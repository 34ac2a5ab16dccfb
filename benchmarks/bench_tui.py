"""Benchmark: the TUI's first frame and its streaming.

1. First frame: time from process start to the first frame of ``cockpit`` (scripted
   model, temp workspace and data folder) versus a bare Textual app showing one
   Static, measured in the same run, interleaved, each in a pseudo-terminal.
   Goal: median ratio <= 1.5.
2. Streaming: a scripted 10,000-token answer at about 1,000 tokens/s through the real
   app (headless), in three independent runs. Measures how far the transcript's
   rendering is behind the stream when it ends (goal < 100 ms on the median: each
   run gives one sample, and where the end falls between two redraws moves it by
   tens of milliseconds), how long key presses take to be handled meanwhile
   (goal < 20 ms at the 95th percentile; sent from a thread of their own, as a terminal's keys
   come, ~10 a second at random moments, each timed until the prompt has inserted it) and that no SQLite write ran on the UI thread. Also printed:
   the UI thread's CPU time a fragment while streaming and from the last fragment to the answer
   painted (other processes' load does not count in it, unlike in the wall times), and how long after its
   last fragment the model call is finished. That is litellm's end-of-stream work
   (``stream_chunk_builder`` over every chunk, ~0.1 ms a chunk, on a worker thread
   that shares the GIL with the UI), not Cockpit's.
3. The same stream after resuming a 1,000-turn session (the transcript keeps its last
   turns, so the lag goal holds there too); also how long the resumed transcript
   takes to appear, and the peak RSS (goal < 300 MB, the largest of the runs). The app shows the side
   column's live panes (Context budget, Retries, Feedback, Todo), as ``cockpit`` does. Each run is an app
   in a process of its own, as a user's TUI is (the peak RSS is one app's, with this harness's few
   megabytes). The session is a real
   one, written to the database as ``cockpit run`` writes it (bench_core's composition,
   in a process of its own): each turn a task, two tool calls (a ~3 KB file read, a
   folder listed) with their results and an answer, and the context budget's
   compactions where a 128k window fills; the app resumes it from the store.

Run: ``python benchmarks/bench_tui.py [frame|stream|long]`` (exit code 1 when a goal is missed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import os
import pty
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.goals import report  # noqa: E402

REPEATS = 7
FRAME_RATIO_GOAL = 1.5
LAG_GOAL_MS = 100.0
KEY_P95_GOAL_MS = 20.0
ANSWER_TOKENS = 10_000
TOKENS_PER_S = 1_000
STREAMS = 3  # independent runs; the lag goal is on their median
LONG_SESSION_TURNS = 1_000  # the same stream again after resuming a long session
RSS_GOAL_MB = 300.0  # peak RSS of the process (app, harness, store) after the long session's stream
CHUNK_CHARS = 8  # 2 tokens per chunk (the scripted model counts 4 characters a token)

BARE_APP = '''
import json, os, time
from pathlib import Path
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_mount(self):
        self.call_after_refresh(self.first_frame)

    def first_frame(self):
        Path(os.environ["COCKPIT_BENCH_FIRST_FRAME"]).write_text(json.dumps({"time": time.time()}))
        self.exit()

Bare().run()
'''


# --- 1. first frame ------------------------------------------------------------------


def time_to_first_frame(argv: list[str], env: dict[str, str], stamp: Path) -> float:
    """Seconds from spawning ``argv`` in a 120x40 pty to the first frame it reports."""
    stamp.unlink(missing_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    drained = threading.Thread(target=_drain, args=(master,), daemon=True)
    drained.start()
    started = time.time()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        drained.join(timeout=5)
        os.close(master)
    if not stamp.exists():
        raise RuntimeError(f"{argv[:3]} exited with {proc.returncode} without reporting a first frame")
    return json.loads(stamp.read_text())["time"] - started


def _drain(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def bench_first_frame(tmp: Path) -> float:
    script = tmp / "first-frame.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    workspace = tmp / "ws"
    workspace.mkdir()
    bare = tmp / "bare_app.py"
    bare.write_text(BARE_APP)
    stamp = tmp / "frame.stamp"
    env = {**os.environ, "TERM": "xterm-256color", "COCKPIT_HOME": str(tmp / "home"), "COCKPIT_BENCH_FIRST_FRAME": str(stamp)}
    env.pop("COCKPIT_CONFIG", None)
    # Byte-code caching as in an installed package (the warm-up run writes it), outside the repo.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    cockpit = [sys.executable, "-m", "app", "--model", f"scripted/{script}", "--workspace", str(workspace)]
    baseline = [sys.executable, str(bare)]

    time_to_first_frame(cockpit, env, stamp)  # warm the file cache and the database
    time_to_first_frame(baseline, env, stamp)
    ours, bares = [], []
    for _ in range(REPEATS):
        ours.append(time_to_first_frame(cockpit, env, stamp))
        bares.append(time_to_first_frame(baseline, env, stamp))
    ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bares) * 1000
    ratio = ours_ms / bare_ms
    print(f"first frame: cockpit {ours_ms:.0f} ms, bare Textual app {bare_ms:.0f} ms (medians of {REPEATS})")
    report("TUI first frame vs bare Textual", goal=f"<= {FRAME_RATIO_GOAL}x", measured=f"{ours_ms:.0f} ms", ratio=ratio,
           ok=ratio <= FRAME_RATIO_GOAL)
    return ratio


# --- 2. streaming ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StoredSession:
    db_path: Path
    session_id: str
    turns: int
    replies: int  # assistant messages in its conversation: where the scripted model's cursor starts
    compactions: str


def stored_session(tmp: Path, turns: int) -> StoredSession:
    """A real session of ``turns`` tasks (see the module docstring), written by a process of its own:
    its memory is not the TUI's (nor is the conversation's, read there to count its replies)."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from benchmarks.bench_core import write_session; "
            "from storage.db import open_db; from storage.queries import conversation; "
            "r = write_session(Path(sys.argv[2]), int(sys.argv[3]), 3); "
            "replies = sum(1 for m in conversation(open_db(r.db_path), r.session_id) if m.get('role') == 'assistant'); "
            "print(r.db_path, r.session_id, r.compactions, r.summaries, replies)")
    tmp.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), str(tmp), str(turns)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the long session could not be written:\n{done.stderr}")
    out = done.stdout.split()
    db_path, session_id, compactions, summaries, replies = Path(out[0]), out[1], out[2], out[3], int(out[4])
    return StoredSession(db_path, session_id, turns, replies, f"{compactions} compactions ({summaries} summaries)")


async def bench_streaming(tmp: Path, report: bool = True, stored: StoredSession | None = None) -> "Stream":
    from app.agent.events import core as ev
    from app.agent.events.approvals import PermissionMode
    from app.agent.offline import load_litellm, prepare_environment
    from app.tui.live_panes import LivePanes
    from tests.tui.helpers import Harness

    prepare_environment()
    load_litellm()  # the app imports it in a worker; here it must not skew the stream
    text = "".join(f"word{i % 97} " + ("\n\n" if i % 40 == 39 else "") for i in range(ANSWER_TOKENS * 4 // 7))
    text = text[: ANSWER_TOKENS * 4]
    delay = CHUNK_CHARS / 4 / TOKENS_PER_S
    script = tmp / "stream.json"
    replayed = [{"text": "."}] * (stored.replies if stored else 0)  # the resumed conversation's replies
    script.write_text(json.dumps([*replayed, {"text": text, "chunk_chars": CHUNK_CHARS, "chunk_delay": delay}]))
    workspace = tmp / "ws"
    workspace.mkdir()
    if stored is not None:
        shutil.copy(stored.db_path, tmp / "stream.db")
    h = Harness(model=f"scripted/{script}", workspace=workspace, db_path=tmp / "stream.db", mode=PermissionMode.YOLO,
                resume=stored.session_id if stored else None)

    ui_thread = threading.get_ident()
    ui_cpu = time.pthread_getcpuclockid(ui_thread)  # the UI thread's CPU time, read from any thread
    writes_on_ui = 0
    original_append = h.store.append_many

    def watched_append(events):
        nonlocal writes_on_ui
        if threading.get_ident() == ui_thread:
            writes_on_ui += 1
        return original_append(events)

    h.store.append_many = watched_append  # type: ignore[method-assign]

    marks: dict[str, float] = {}

    def mark(event: ev.Event) -> None:
        if isinstance(event, ev.TextDelta):
            marks.setdefault("first_delta", time.perf_counter())
            marks.setdefault("first_delta_cpu", time.clock_gettime(ui_cpu))
            marks["last_delta"] = time.perf_counter()
            marks["last_delta_cpu"] = time.clock_gettime(ui_cpu)
        elif isinstance(event, ev.ModelCallFinished):
            marks["call_finished"] = time.perf_counter()

    frames = FrameParts()
    ui_deltas = 0

    def count(message) -> None:
        nonlocal ui_deltas
        if type(message).__name__ == "TextReady" or getattr(getattr(message, "event", None), "type", "") == "text_delta":
            ui_deltas += 1

    # As the real app: its start-up worker imports and settles the GC; a session shows the live side panes.
    app = h.app(load_litellm=True, session_panes=LivePanes)
    opening = time.perf_counter()
    async with app.run_test(size=(120, 40), message_hook=count) as pilot:
        while app.session is None:
            await pilot.pause(0.01)
        for worker in [w for w in app.workers if w.group == "startup"]:
            await worker.wait()
        app.session.bus.subscribe(mark)
        if stored is not None:
            await pilot.pause()
            if report:
                print(f"resumed a stored session of {stored.turns} turns ({stored.compactions}): the app was ready in "
                      f"{time.perf_counter() - opening:.2f} s (the transcript keeps the last "
                      f"{app.transcript.turns_shown} turns)")
        app.prompt.insert("stream a long answer")
        await pilot.press("enter")
        app.prompt.focus()
        while "first_delta" not in marks:
            await pilot.pause(0.005)
        frames.start()
        watcher = asyncio.create_task(_rendered_at(app, len(text)))
        # Keys while streaming, sent as a terminal's are: from a thread of their own (the driver's input
        # thread), at any moment of the UI's work; each timed from its sending to the prompt having
        # inserted it (the prompt's ``key_taken``, called on the UI thread as it is done with the key).
        key_latencies, typed = await _type_while(app, watcher)
        assert app.prompt.text == "x" * typed, "a key press was lost while streaming"
        done = await watcher
        done_cpu = time.clock_gettime(ui_cpu)
        frames.stop()
        while app.busy:
            await pilot.pause(0.01)
    return Stream(
        lag_ms=(done - marks["last_delta"]) * 1000,
        tokens_per_s=ANSWER_TOKENS / (marks["last_delta"] - marks["first_delta"]),
        fragments=len(h.events.of(ev.TextDelta)),
        ui_messages=ui_deltas,
        key_ms=[v * 1000 for v in key_latencies],
        closing_ms=(marks["call_finished"] - marks["last_delta"]) * 1000,
        writes_on_ui=writes_on_ui,
        ui_cpu_stream_ms=(marks["last_delta_cpu"] - marks["first_delta_cpu"]) * 1000,
        ui_cpu_end_ms=(done_cpu - marks["last_delta_cpu"]) * 1000,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        frame_ms=frames.per_frame(),
    )


class FrameParts:
    """The UI thread's CPU time in Textual's screen refreshes while the stream runs: each layout refresh
    (``Screen._refresh_layout``: the layout pass, ``Compositor.reflow``, which places every displayed
    widget, then every placed widget told its size, then the paint) and each paint
    (``Screen._compositor_refresh``: the changed regions rendered, with a layout refresh or alone)."""

    PARTS = {"refresh": ("textual.screen", "Screen", "_refresh_layout"),
             "layout": ("textual._compositor", "Compositor", "reflow"),
             "paint": ("textual.screen", "Screen", "_compositor_refresh")}

    def __init__(self) -> None:
        self.cpu: dict[str, float] = dict.fromkeys(self.PARTS, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(self.PARTS, 0)
        self._on = False
        self._patched: list[tuple[type, str, object]] = []

    def start(self) -> None:
        import importlib

        for part, (module, cls_name, name) in self.PARTS.items():
            owner = getattr(importlib.import_module(module), cls_name)
            self._patched.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, self._timed(part, owner.__dict__[name]))
        self._on = True

    def stop(self) -> None:
        self._on = False
        for owner, name, original in self._patched:
            setattr(owner, name, original)

    def _timed(self, part: str, original):
        def timed(*args, **kwargs):
            if not self._on:
                return original(*args, **kwargs)
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu[part] += time.thread_time() - started
                self.calls[part] += 1
        return timed

    def per_frame(self) -> dict[str, float]:
        """ms each: a layout refresh, its layout pass, a paint; and how many refreshes and paints."""
        each = {part: self.cpu[part] * 1000 / max(1, self.calls[part]) for part in self.PARTS}
        return {**each, "refreshes": self.calls["refresh"], "paints": self.calls["paint"]}


@dataclasses.dataclass
class Stream:
    lag_ms: float
    tokens_per_s: float
    fragments: int
    ui_messages: int
    key_ms: list[float]
    closing_ms: float
    writes_on_ui: int
    ui_cpu_stream_ms: float  # the UI thread's CPU time from the first fragment to the last
    ui_cpu_end_ms: float  # and from the last fragment to the answer painted
    peak_rss_mb: float  # the process's peak RSS so far, when the run ended
    frame_ms: dict[str, float]  # FrameParts.per_frame


def bench_streams(tmp: Path, history_turns: int = 0) -> bool:
    """``STREAMS`` runs, each in a fresh app; the lag goal is on their median, the keys' on their p95."""
    stored = stored_session(tmp / "long", history_turns) if history_turns else None
    runs = []
    for run in range(STREAMS):
        folder = tmp / f"stream-{history_turns}-{run}"
        folder.mkdir()
        runs.append(stream_in_own_process(folder, report=run == 0, stored=stored))
    lags = [r.lag_ms for r in runs]
    lag_ms = statistics.median(lags)
    keys = [k for r in runs for k in r.key_ms]
    writes = sum(r.writes_on_ui for r in runs)
    rate = statistics.median(r.tokens_per_s for r in runs)
    print(
        f"streaming: {ANSWER_TOKENS} tokens at {rate:.0f} tokens/s, "
        f"{runs[0].fragments} fragments, {runs[0].ui_messages} UI messages after coalescing ({STREAMS} runs)"
    )
    print(f"  render lag at the end: median {lag_ms:.0f} ms (runs: {', '.join(f'{v:.0f}' for v in lags)}); "
          f"machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  keys while streaming: {len(keys)} presses, median {statistics.median(keys):.1f} ms, "
          f"p95 {_p95(keys):.1f} ms, max {max(keys):.0f} ms to be handled")
    cpu = statistics.median(r.ui_cpu_stream_ms / r.fragments for r in runs)
    print(f"  UI thread CPU (the machine's load does not count): {cpu * 1000:.0f} µs a fragment while streaming "
          f"({statistics.median(r.ui_cpu_stream_ms for r in runs) / 1000:.2f} s in all), "
          f"{statistics.median(r.ui_cpu_end_ms for r in runs):.0f} ms from the last fragment to the answer painted")
    parts = {k: statistics.median(r.frame_ms[k] for r in runs) for k in runs[0].frame_ms}
    print(f"  the screen's refreshes (UI thread CPU, medians): {parts['refreshes']:.0f} layout refreshes, "
          f"{parts['refresh']:.1f} ms each ({parts['layout']:.1f} ms of it the layout pass); "
          f"{parts['paints']:.0f} paints, {parts['paint']:.1f} ms each")
    print(f"  the model call was finished a median {statistics.median(r.closing_ms for r in runs):.0f} ms after its last fragment")
    where = f"after a {history_turns}-turn session, " if history_turns else ""
    results = [
        report(f"stream end render lag ({where}{rate:.0f} tok/s)", goal=f"< {LAG_GOAL_MS:.0f} ms",
               measured=f"{lag_ms:.0f} ms", ratio=lag_ms / LAG_GOAL_MS, ok=lag_ms < LAG_GOAL_MS),
        report(f"keys while streaming, p95 ({where}{rate:.0f} tok/s)", goal=f"< {KEY_P95_GOAL_MS:.0f} ms",
               measured=f"{_p95(keys):.1f} ms", ratio=_p95(keys) / KEY_P95_GOAL_MS, ok=_p95(keys) < KEY_P95_GOAL_MS),
        report(f"SQLite writes on the UI thread ({where.rstrip(', ') or 'stream'})", goal="0", measured=str(writes),
               ok=writes == 0),
    ]
    if history_turns:
        rss_mb = max(r.peak_rss_mb for r in runs)
        print(f"  peak RSS of each app's process (resumed, streamed): {', '.join(f'{r.peak_rss_mb:.0f}' for r in runs)} MB")
        results.append(report(f"TUI peak RSS after a {history_turns}-turn session", goal=f"< {RSS_GOAL_MB:.0f} MB",
                              measured=f"{rss_mb:.0f} MB", ratio=rss_mb / RSS_GOAL_MB, ok=rss_mb < RSS_GOAL_MB))
    return all(r.ok for r in results)


def stream_in_own_process(folder: Path, report: bool, stored: StoredSession | None) -> Stream:
    """:func:`bench_streaming` in a process of its own, as a user's TUI is: its peak RSS is one app's."""
    args = {"folder": str(folder), "report": report, "stored": dataclasses.asdict(stored) if stored else None}
    done = subprocess.run([sys.executable, __file__, ONE_STREAM, json.dumps(args, default=str)],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise RuntimeError(f"a stream run failed (exit code {done.returncode})")
    *said, result = done.stdout.splitlines()
    if said:  # the resumed session's line
        print("\n".join(said))
    return Stream(**json.loads(result))


def _one_stream(raw: str) -> None:
    args = json.loads(raw)
    stored = StoredSession(**{**args["stored"], "db_path": Path(args["stored"]["db_path"])}) if args["stored"] else None
    run = asyncio.run(bench_streaming(Path(args["folder"]), report=args["report"], stored=stored))
    print(json.dumps(dataclasses.asdict(run)))


async def _type_while(app, watcher: asyncio.Task) -> tuple[list[float], int]:
    """Keys typed into the prompt until ``watcher`` is done, ~10 a second at random moments, one at a time;
    how long each took to be handled, and how many were typed."""
    import random

    from textual import events

    taken = app.prompt.key_taken
    done = threading.Event()
    latencies: list[float] = []
    sent_at = [0.0]

    def timed(key) -> None:
        taken(key)
        if key.key == "x":
            latencies.append(time.perf_counter() - sent_at[0])
            done.set()

    app.prompt.key_taken = timed
    typed, stop, lost = 0, threading.Event(), threading.Event()

    def typist() -> None:
        nonlocal typed
        jitter = random.Random(22)
        while not stop.wait(0.05 + jitter.random() * 0.1):
            done.clear()
            sent_at[0] = time.perf_counter()
            app._driver.send_message(events.Key("x", "x"))  # as the driver's input thread sends it
            typed += 1
            if not done.wait(5):
                lost.set()
                return

    thread = threading.Thread(target=typist, name="bench-typist", daemon=True)
    thread.start()
    await watcher
    stop.set()
    while thread.is_alive():
        await asyncio.sleep(0.01)
    app.prompt.key_taken = taken
    if lost.is_set():
        raise RuntimeError("a key press was not handled within 5 s")
    return latencies, typed


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def _rendered_at(app, length: int) -> float:
    """When the whole answer is in the Markdown widget, parsed, mounted and painted."""
    while not app.transcript.assistant_messages or len(app.transcript.assistant_messages[-1].source) < length:
        await asyncio.sleep(0.002)
    markdown = app.transcript.assistant_messages[-1]
    async with markdown.lock:  # the last append has been parsed and its blocks mounted
        pass
    painted = asyncio.Event()
    app.call_after_refresh(painted.set)
    await painted.wait()
    return time.perf_counter()


ONE_STREAM = "_one-stream"  # the argument that runs one stream (stream_in_own_process)


def main() -> int:
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    if only == ONE_STREAM:
        _one_stream(sys.argv[2])
        return 0
    ok = True
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-tui-") as name:
        tmp = Path(name)
        os.environ["COCKPIT_HOME"] = str(tmp / "home-inproc")
        if only in ("", "frame"):
            ok = bench_first_frame(tmp) <= FRAME_RATIO_GOAL and ok
        if only in ("", "stream"):
            ok = bench_streams(tmp) and ok
        if only in ("", "long"):
            ok = bench_streams(tmp, history_turns=LONG_SESSION_TURNS) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
