"""What the first frame waits for: the real ``cockpit`` in a pseudo-terminal.

The app writes the modules imported so far when its first frame is on screen
(``COCKPIT_BENCH_FIRST_FRAME``). None of the heavy or deferred parts may be among
them: litellm and tiktoken (imported in a worker), the database (opened on the
agent thread), the core's loop and events, Markdown and the syntax highlighter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.terminal import Terminal

DEFERRED = (
    "litellm",
    "tiktoken",
    "sqlite_utils",
    "sqlite3",
    "storage",
    "markdown_it",
    "pygments",
    "app.agent.events.core",
    "app.agent.loop",
    "app.agent.session",
    "app.tui.live_panes",
)


def _first_frame_stamp(tmp_path: Path) -> dict:
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    stamp = tmp_path / "frame.json"
    env = {**os.environ, "COCKPIT_HOME": str(tmp_path / "home"), "COCKPIT_BENCH_FIRST_FRAME": str(stamp)}
    with Terminal(["--model", f"scripted/{script}", "--workspace", str(tmp_path)], env) as terminal:
        assert terminal.wait(timeout=60) == 0
    return json.loads(stamp.read_text())


def test_the_first_frame_waits_for_nothing_deferred(tmp_path):
    stamp = _first_frame_stamp(tmp_path)
    modules = set(stamp["modules"])
    assert "textual" in modules and "app.tui.app" in modules  # the stamp really came from the app
    early = sorted(m for m in modules if any(m == d or m.startswith(d + ".") for d in DEFERRED))
    assert early == []
    # the collector, held off while cockpit started (app/startup_gc.py), is back on, what start-up built frozen
    assert stamp["collector"] and stamp["frozen"] > 0
