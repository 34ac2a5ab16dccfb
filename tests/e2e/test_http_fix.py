"""End to end through the real network path: litellm → HTTP → a loopback
OpenAI-compatible server. The agent fixes a bug in a small project."""

from __future__ import annotations

import json
import subprocess
import sys

from app.cli import main
from storage.db import open_db
from tests.support.openai_server import Reply, ToolCallSpec, count_prompt_tokens


def make_project(root):
    (root / "calc.py").write_text("def mean(values):\n    return sum(values) / (len(values) + 1)\n")
    (root / "test_calc.py").write_text(
        "from calc import mean\n\nassert mean([2, 4, 6]) == 4, mean([2, 4, 6])\nprint('tests passed')\n"
    )


def test_cockpit_run_fixes_a_bug_over_http(capsys, openai_server, workspace, tmp_path):
    make_project(workspace)
    openai_server.script(
        [
            Reply(text="Let me run the tests first.", tool_calls=[ToolCallSpec("bash", {"command": "python3 test_calc.py"})]),
            Reply(tool_calls=[ToolCallSpec("read_file", {"path": "calc.py"})]),
            Reply(
                text="The denominator is off by one.",
                tool_calls=[ToolCallSpec("edit_file", {"path": "calc.py", "old_string": "(len(values) + 1)", "new_string": "len(values)"})],
            ),
            Reply(tool_calls=[ToolCallSpec("bash", {"command": "python3 test_calc.py"})]),
            Reply(text="Fixed `mean`: it divided by len + 1. The tests pass now."),
        ]
    )
    db_path = tmp_path / "e2e.db"
    code = main(
        ["run", "fix the failing test", "--model", "openai/test-model", "--api-base", openai_server.url,
         "--workspace", str(workspace), "--yes", "--db", str(db_path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "The tests pass now." in out

    # The file really changed and the project's own tests pass.
    assert "len(values)\n" in (workspace / "calc.py").read_text()
    check = subprocess.run([sys.executable, "test_calc.py"], cwd=workspace, capture_output=True, text=True)
    assert check.returncode == 0 and "tests passed" in check.stdout

    # Every model call is stored with the usage the server reported for it.
    requests = openai_server.chat_requests
    assert len(requests) == 5
    assert all(r.body.get("stream") is True and r.body["stream_options"]["include_usage"] for r in requests)
    db = open_db(db_path)
    rows = list(db.query("select prompt_tokens, completion_tokens, usage_reported, status from model_calls order by started_at"))
    assert len(rows) == 5
    assert [r["prompt_tokens"] for r in rows] == [count_prompt_tokens(r.body["messages"]) for r in requests]
    assert all(r["usage_reported"] == 1 and r["status"] == "ok" and r["completion_tokens"] > 0 for r in rows)
    tools = [(r["name"], r["status"], r["exit_code"]) for r in db.query("select name, status, exit_code from tool_calls order by requested_at")]
    assert tools == [("bash", "tool_error", 1), ("read_file", "ok", None), ("edit_file", "ok", None), ("bash", "ok", 0)]
    # The tool schemas went over the wire, and the failing test output reached the model.
    assert {t["function"]["name"] for t in requests[0].body["tools"]} >= {"read_file", "edit_file", "bash"}
    second = requests[1].body["messages"]
    assert second[-1]["role"] == "tool" and "AssertionError" in second[-1]["content"]
    # No API key or secret was written.
    assert "sk-no-key-needed" not in json.dumps(list(db.query("select payload from events")))
