"""``cockpit run`` ends once its session is stored, whatever thread a library leaves running (app.process_end)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The program as the `cockpit` script runs it (main() with no argv), with a non-daemon thread that never
# ends (as the background `import litellm` thread outlived the run) and an atexit handler of ours.
PROGRAM = """
import atexit, sys, threading
from pathlib import Path
threading.Thread(target=threading.Event().wait, name="a-library-thread-that-never-ends").start()
marker = Path(sys.argv[1])
atexit.register(marker.write_text, "atexit ran")
sys.argv = ["cockpit", *sys.argv[2:]]
from app.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["progress", "json"])
def test_run_exits_though_a_non_daemon_thread_never_ends(json_flag, workspace, write_script, tmp_path):
    script = write_script([{"tool_calls": [{"name": "bash", "arguments": {"command": "echo hi"}}]}, {"text": "Done."}])
    marker = tmp_path / "atexit.txt"
    args = [str(marker), "run", "go", "--model", script, "--workspace", str(workspace), "--yes",
            "--db", str(tmp_path / "c.db"), *json_flag]
    env = {**os.environ, "COCKPIT_HOME": str(tmp_path / "home")}
    try:
        result = subprocess.run([sys.executable, "-c", PROGRAM, *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=180)
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"cockpit run did not exit: {hung.stdout!r}")
    assert result.returncode == 0, result.stderr
    assert ("completed" in result.stdout) if not json_flag else '"type": "session_finished"' in result.stdout
    assert marker.read_text() == "atexit ran"  # the exit work of the process (MCP kill, OTel export) still runs
