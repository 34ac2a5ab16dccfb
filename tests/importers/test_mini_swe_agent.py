"""mini-swe-agent trajectories: real numbers from tests/data/sessions/mini-swe-agent.

Derived by reading the file: 38 messages (system, the task, then 18 assistant /
observation pairs). ``info.model_stats`` says ``api_calls: 18`` and
``instance_cost: 0.1260062``; the 18 ``extra.response.usage`` objects add up to
111,715 prompt / 2,320 completion / 69,591 cached tokens and the same cost. The 17
observations that start ``<returncode>N</returncode>`` have N = 0 except messages 25
and 29 (``pytest xarray/tests/test_combine.py``, N = 1); the 18th observation is the
submitted diff (``exit_status: Submitted``).
"""

from __future__ import annotations

import json
import re

from storage.importers import import_path
from storage.queries import load_events
from tests.support.session_files import MINI


def test_independent_reading_of_the_file():
    data = json.loads(MINI.read_text())
    usages = [m["extra"]["response"]["usage"] for m in data["messages"] if "extra" in m]
    assert len(usages) == data["info"]["model_stats"]["api_calls"] == 18
    assert sum(u["prompt_tokens"] for u in usages) == 111_715
    assert sum(u["completion_tokens"] for u in usages) == 2_320
    codes = [re.match(r"<returncode>(\d+)", m["content"]) for m in data["messages"][3:] if m["role"] == "user"]
    assert [int(c.group(1)) for c in codes if c].count(1) == 2 and sum(1 for c in codes if c) == 17


def test_import_counts_calls_tokens_cost_and_returncodes(db):
    result = import_path(db, MINI)
    assert (result.status, result.source) == ("imported", "mini-swe-agent")
    assert (result.model_calls, result.tokens_in, result.tokens_out) == (18, 111_715, 2_320)
    assert (result.tool_calls, result.tool_calls_failed) == (18, 2)
    sid = result.session_id
    cached, cost = db.execute("select sum(cached_tokens), sum(cost_usd) from model_calls where session_id = ?", [sid]).fetchone()
    assert cached == 69_591 and round(cost, 7) == 0.1260062
    failed = db.execute(
        "select exit_code, arguments from tool_calls where session_id = ? and status = 'tool_error'", [sid]
    ).fetchall()
    assert [(code, json.loads(args)["command"]) for code, args in failed] == [
        (1, "pytest xarray/tests/test_combine.py xarray/tests/test_concat.py"),
        (1, "pytest xarray/tests/test_combine.py"),
    ]
    codes = db.execute("select exit_code, count(*) from tool_calls where session_id = ? group by exit_code", [sid]).fetchall()
    assert dict(codes) == {None: 1, 0: 15, 1: 2}  # the submission has no return code


def test_session_metadata_and_submission(db):
    sid = import_path(db, MINI).session_id
    session = db["sessions"].get(sid)
    assert session["title"] == "pydata__xarray-4629" and session["workspace"] == "/testbed"
    assert session["model"] == "google/gemini-3-pro-preview" and session["status"] == "completed"
    assert session["started_at"] == "2025-11-18T23:52:23.000+00:00"  # the first response's "created"
    last = db.execute(
        "select status, result from tool_calls where session_id = ? and exit_code is null", [sid]
    ).fetchone()
    assert last[0] == "ok" and last[1].startswith("diff --git a/xarray/core/merge.py")
    assert [e["status"] for e in load_events(db, sid) if e["type"] == "session_finished"] == ["completed"]
