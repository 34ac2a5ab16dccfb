"""Hostile tool calls for the fuzz test: what a broken or adversarial model may send,
and one run of them through the real loop (scripted model, real EventStore).

Shared by ``tests/core/test_hostile_input.py`` and any measurement script.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from app.agent.events import core as ev
from tests.core.helpers import make_session

# Read-only tools and names no tool has: the fuzz never runs random shell code or writes files.
TOOL_NAMES = ["read_file", "list_dir", "glob", "grep", "launch_rocket", "", "\ud800", "read_file\x00"]
IDS = ["call_1", "call_2", "", "\ud800", "x" * 300]


def _deep(depth: int, opener: str, closer: str, leaf: str = "") -> str:
    return '{"path": ' + opener * depth + leaf + closer * depth + "}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

raw_arguments = st.one_of(
    st.integers(100, 1500).map(lambda d: _deep(d, "[", "]")),
    st.integers(100, 1500).map(lambda d: _deep(d, '{"a": ', "}", "1")),
    st.sampled_from(['{"path": "\\ud800"}', '{"path": "\\udfff\\ud800x"}', '{"\\udc00": 1}', '{"path": "a\\u0000b"}']),
    st.sampled_from(['{"path": "\ud800"}', '{"pa\udc00th": "x"}', "\ud800", '{"path": "a\x00b"}', "\x00"]),
    st.sampled_from(["[1]", '"x"', "null", "5", "true", "[]", "{", "{nope", '{"path": }', "", "   ", "{}"]),
    st.sampled_from([300, 100_000]).map(lambda n: json.dumps({"path": "a" * n})),  # the cap: test_hostile_input
    st.integers(1, 100_000).map(lambda n: '{"pattern": "' + "\\\\" * n + '"}'),
    st.integers(4000, 6000).map(lambda n: '{"path": ' + "7" * n + "}"),  # more digits than int() takes
    st.sampled_from(['{"path": NaN}', '{"start_line": Infinity}', '{"path": "x", "path": "y"}']),
    st.text(max_size=40),
    json_values.map(json.dumps),
)
arguments = st.one_of(raw_arguments, st.dictionaries(st.sampled_from(["path", "pattern", "x"]), json_values, max_size=3))
tool_call = st.fixed_dictionaries(
    {"name": st.sampled_from(TOOL_NAMES), "arguments": arguments},
    optional={"id": st.sampled_from(IDS)},
)
scripts = st.lists(st.lists(tool_call, min_size=1, max_size=3).map(lambda calls: {"tool_calls": calls}),
                   min_size=1, max_size=3)


@dataclass
class Outcome:
    attempted: int = 0  # tool calls the loop was asked to handle (ToolCallRequested)
    sent: int = 0  # tool calls in the replies the model sent
    complete: int = 0  # tool_calls rows with a final status
    rows: int = 0
    crashed: str = ""  # why the run did not end cleanly; empty when it did
    seq_gap_free: bool = True
    session_status: str = ""


FINAL = {s.value for s in ev.ToolStatus}


def run_script(turns: list[dict[str, Any]]) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_run(turns, Path(folder)))


async def _run(turns: list[dict[str, Any]], tmp: Path) -> Outcome:
    workspace = tmp / "project"
    workspace.mkdir()
    (workspace / "a.txt").write_text("hello\n")
    script = tmp / "script.json"
    script.write_text(json.dumps([*turns, {"text": "done"}]), encoding="utf-8")
    session, events, db = make_session(f"scripted/{script}", workspace, tmp / "c.db")
    out = Outcome()
    try:
        session.start()
        await session.run_task("fuzz")
        session.finish()
    except BaseException as exc:  # noqa: BLE001 - a crash is what the fuzz counts
        out.crashed = f"{type(exc).__name__}: {exc}"[:300]
    try:
        out.attempted = len(events.of(ev.ToolCallRequested))
        out.sent = sum(len(e.tool_calls) for e in events.of(ev.ModelCallFinished) if e.status is ev.CallStatus.OK)
        statuses = [r[0] for r in db.execute("select status from tool_calls")]
        out.rows, out.complete = len(statuses), sum(1 for s in statuses if s in FINAL)
        seqs = [r[0] for r in db.execute("select seq from events order by seq")]
        out.seq_gap_free = seqs == list(range(1, len(seqs) + 1)) and len(seqs) == sum(e.persist for e in events)
        found = db.execute("select status from sessions").fetchone()
        out.session_status = found[0] if found else ""
        if session.bus.failure is not None and not out.crashed:
            out.crashed = f"store failed: {session.bus.failure.message}"[:300]
    finally:
        db.close()
    return out
