"""The background import of litellm that ``cockpit run`` starts before preparing its session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_module_loads_nothing_heavy():
    seen = _run("import sys, json, app.agent.warmup; print(json.dumps({'litellm': 'litellm' in sys.modules}))")
    assert seen == {"litellm": False}


def test_the_thread_loads_litellm_and_what_its_first_call_imports_and_is_waited_for_at_exit():
    code = (
        "import sys, json\n"
        "from app.agent import warmup, offline\n"
        "thread = warmup.warm_in_background()\n"
        "daemon = thread.daemon\n"
        "thread.join()\n"
        "loaded = [m for m in warmup.FIRST_CALL_MODULES if m in sys.modules]\n"
        "print(json.dumps({'daemon': daemon, 'litellm': offline._litellm is not None,"
        " 'first_call': len(loaded) == len(warmup.FIRST_CALL_MODULES)}))\n"
    )
    assert _run(code) == {"daemon": False, "litellm": True, "first_call": True}


def test_a_run_that_ends_while_the_thread_imports_exits_cleanly():
    """The process ends right after starting the thread: it waits for it and exits 0 (no hang, no error)."""
    done = subprocess.run(
        [sys.executable, "-c", "from app.agent.warmup import warm_in_background; warm_in_background(); print('bye')"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "bye", "")
