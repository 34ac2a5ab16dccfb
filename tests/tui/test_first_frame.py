"""What the first frame waits for: the real ``cockpit`` in a pseudo-terminal.

The app writes the modules imported so far when its first frame is on screen
(``COCKPIT_BENCH_FIRST_FRAME``). None of the heavy or deferred parts may be among
them: litellm and tiktoken (imported in a worker), the database (opened on the
agent thread), the core's loop and events, Markdown and the syntax highlighter.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DEFERRED = (
    "litellm",
    "tiktoken",
    "sqlite_utils",
    "sqlite3",
    "storage",
    "markdown_it",
    "pygments",
    "app.agent.events",
    "app.agent.loop",
    "app.agent.session",
    "app.tui.live_panes",
)


def _first_frame_modules(tmp_path: Path) -> set[str]:
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    stamp = tmp_path / "frame.json"
    env = {**os.environ, "TERM": "xterm-256color", "COCKPIT_HOME": str(tmp_path / "home"), "COCKPIT_BENCH_FIRST_FRAME": str(stamp)}
    env.pop("COCKPIT_CONFIG", None)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

    def drain() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    argv = [sys.executable, "-m", "app", "--model", f"scripted/{script}", "--workspace", str(tmp_path)]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=5)
        os.close(master)
    return set(json.loads(stamp.read_text())["modules"])


def test_the_first_frame_waits_for_nothing_deferred(tmp_path):
    modules = _first_frame_modules(tmp_path)
    assert "textual" in modules and "app.tui.app" in modules  # the stamp really came from the app
    early = sorted(m for m in modules if any(m == d or m.startswith(d + ".") for d in DEFERRED))
    assert early == []
