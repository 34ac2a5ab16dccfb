"""``cockpit run -``: the task read from standard input, in a real process (``git diff | cockpit run - --json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cockpit(args: list[str], *, stdin: int | None = None, input: bytes | None = None, home: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COCKPIT_HOME": str(home)}
    env.pop("COCKPIT_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, stdin=stdin, input=input,
                          capture_output=True, timeout=120, env=env)


@pytest.fixture
def run_args(workspace: Path, write_script, tmp_path: Path) -> list[str]:
    model = write_script([{"text": "The diff renames add to plus."}])
    return ["run", "-", "--model", model, "--workspace", str(workspace), "--db", str(tmp_path / "c.db"), "--json"]


def test_the_task_is_read_from_standard_input(run_args: list[str], tmp_path: Path) -> None:
    diff = "diff --git a/calc.py b/calc.py\n-def add(a, b):\n+def plus(a, b):\n    return a + b — ünïcode\n"
    done = cockpit(run_args, input=diff.encode(), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr.decode()
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    turn = next(e for e in events if e["type"] == "turn_started")
    assert turn["user_text"] == diff.rstrip("\n")  # the final newline is no part of the task
    sent = next(e for e in events if e["type"] == "message_appended" and e["message"]["role"] == "user")
    assert sent["message"]["content"] == diff.rstrip("\n")
    assert events[-1]["type"] == "session_finished"


def test_empty_standard_input_is_a_usage_error_and_stores_nothing(run_args: list[str], tmp_path: Path) -> None:
    done = cockpit(run_args, input=b"  \n\n", home=tmp_path / "home")
    assert done.returncode == 2
    assert "standard input was empty" in done.stderr.decode()
    assert done.stdout == b""
    assert not (tmp_path / "c.db").exists()


def test_a_terminal_on_standard_input_is_told_to_pipe_something(run_args: list[str], tmp_path: Path) -> None:
    controller, terminal = os.openpty()
    try:
        done = cockpit(run_args, stdin=terminal, home=tmp_path / "home")
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert "pipe something into it" in done.stderr.decode()
    assert not (tmp_path / "c.db").exists()


def test_a_headless_run_says_what_its_mentions_attached(workspace: Path, write_script, tmp_path: Path) -> None:
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (workspace / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    model = write_script([{"text": "It subtracts."}])
    done = cockpit(["run", "why does @calc.py subtract? @logo.png", "--model", model, "--workspace", str(workspace),
                    "--db", str(tmp_path / "c.db")], input=b"", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "@calc.py attached · " in out and "@logo.png not attached (a binary file" in out
