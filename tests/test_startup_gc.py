"""The cyclic collector held off while ``cockpit`` starts (``app/startup_gc.py``)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from types import SimpleNamespace
from pathlib import Path

import pytest

from app import startup_gc
from storage import collector as store_collector

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def collector():
    """The collector on before the test (once no store's batch pauses it: a writer thread another test left
    may still be finishing one, see storage/collector.py) and after it, whatever it did (nothing frozen, not held)."""
    for _ in range(10_000):
        with store_collector._lock:
            if not store_collector._pauses:
                gc.enable()
                break
        threading.Event().wait(0.001)
    else:
        pytest.fail("a store's pause of the collector never ended")
    yield
    startup_gc._held = False
    gc.unfreeze()
    gc.enable()


def test_release_without_hold_changes_nothing(monkeypatch) -> None:
    calls: list[str] = []  # what release() asks of the collector (recorded, so no other thread's use of gc counts)
    recorder = SimpleNamespace(**{name: (lambda name=name: calls.append(name)) for name in ("enable", "disable", "freeze")})
    monkeypatch.setattr(startup_gc, "gc", recorder)
    startup_gc.release()
    assert calls == []


def test_hold_then_release_freezes_what_is_alive_and_switches_the_collector_back_on(collector) -> None:
    startup_gc.hold()
    assert not gc.isenabled()
    alive = object.__new__(type("Alive", (), {}))  # tracked, alive when start-up ends
    startup_gc.release()
    assert gc.isenabled()
    assert not any(o is alive for o in gc.get_objects())  # frozen: no collection walks it


def test_release_after_a_thread_waits_for_it_without_blocking_the_caller(collector) -> None:
    go_on = threading.Event()
    importing = threading.Thread(target=go_on.wait)
    importing.start()
    startup_gc.hold()
    startup_gc.release(after=importing)  # returns at once: the caller does not wait for the thread
    assert not gc.isenabled()
    go_on.set()
    importing.join()
    for waiter in [t for t in threading.enumerate() if t.name == "cockpit-release-gc"]:
        waiter.join()
    assert gc.isenabled()


# The program as the `cockpit` script runs it (main() with no argv); at exit it says whether the collector ran.
PROGRAM = """
import atexit, gc, sys
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text(f"{gc.isenabled()} {gc.get_freeze_count() > 0}"))
sys.argv = ["cockpit", *sys.argv[2:]]
from app.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("command", ["run", "sessions"])
def test_the_program_ends_with_the_collector_on(command, workspace, write_script, tmp_path) -> None:
    """``cockpit run`` releases it before its first call; other commands never run without it."""
    marker = tmp_path / "collector.txt"
    db = ["--db", str(tmp_path / "c.db")]
    args = ["run", "go", "--model", write_script([{"text": "Done."}]), "--workspace", str(workspace), *db] \
        if command == "run" else ["sessions", *db]
    env = {**os.environ, "COCKPIT_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", PROGRAM, str(marker), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "True True"  # on, and what start-up built frozen
