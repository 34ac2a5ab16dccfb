"""mini-swe-agent v2 trajectories (``trajectory_format: mini-swe-agent-1.1``), generated in the shape
mini 2.x writes (src/minisweagent/models/litellm_model.py, models/utils/actions_toolcall.py,
agents/default.py): tool-calling models with ``role: tool`` observations, text-based ones with
``extra.actions``, format errors that carry their response, and the ``exit`` message."""

from __future__ import annotations

import json

import pytest

from storage.importers import detect, import_path, mini_swe_agent
from storage.queries import load_events
from tests.support.import_checks import (
    assert_cut_file_writes_nothing,
    converted_with_peak,
)


def _response(n, calls=(), prompt=1_000, completion=50, cached=600):
    return {"id": f"resp-{n}", "created": 1_760_000_000 + n, "model": "anthropic/claude-sonnet-4-5",
            "choices": [{"finish_reason": "tool_calls" if calls else "stop", "message": {"role": "assistant"}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "prompt_tokens_details": {"cached_tokens": cached}}}


def _call(call_id, command):
    return {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": command})}}


def _assistant(n, *calls, cost=0.01):
    return {"role": "assistant", "content": None, "tool_calls": [_call(i, c) for i, c in calls],
            "extra": {"actions": [{"command": c, "tool_call_id": i} for i, c in calls], "response": _response(n, calls),
                      "cost": cost, "timestamp": 1_760_000_000.5 + n}}


def _tool(call_id, output, code, n, exception=""):
    return {"role": "tool", "tool_call_id": call_id, "content": f"<returncode>{code}</returncode>\n<output>\n{output}</output>",
            "extra": {"raw_output": output, "returncode": code, "timestamp": 1_760_000_001.0 + n, "exception_info": exception}}


def _trajectory(tmp_path, messages, exit_status="Submitted", name="run.traj.json"):
    path = tmp_path / name
    path.write_text(json.dumps({
        "info": {"model_stats": {"instance_cost": 0.03, "api_calls": 3}, "mini_version": "2.0.0", "exit_status": exit_status,
                 "submission": "diff --git a/x b/x", "config": {"model": {"model_name": "anthropic/claude-sonnet-4-5"},
                                                              "environment": {"cwd": "/repo"}}},
        "messages": [{"role": "system", "content": "You are a helpful assistant"},
                     {"role": "user", "content": "Please solve this issue: it breaks"}, *messages],
        "trajectory_format": "mini-swe-agent-1.1"}, indent=2))
    return path


def test_tool_calling_run_parallel_calls_timeouts_format_errors_and_submission(db, tmp_path):
    format_error = {"role": "user", "content": "No tool calls found in the response.",
                    "extra": {"interrupt_type": "FormatError", "response": _response(2), "cost": 0.01}}
    messages = [
        _assistant(1, ("c1", "ls"), ("c2", "pytest")),
        _tool("c1", "a.py\n", 0, 1),
        _tool("c2", "", -1, 1, exception="An error occurred while executing the command: Command 'pytest' timed out after 30 seconds"),
        format_error,
        _assistant(3, ("c3", "false")),
        _tool("c3", "", 1, 3),
        _assistant(4, ("c4", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT; git diff")),
        {"role": "exit", "content": "", "extra": {"exit_status": "Submitted", "submission": "diff --git a/x b/x"}},
    ]
    path = _trajectory(tmp_path, messages)
    assert detect(path) is mini_swe_agent
    result = import_path(db, path)
    assert (result.model_calls, result.counted_calls) == (4, 4)
    assert (result.tokens_in, result.tokens_out) == (4_000, 200)
    rows = db.execute("select tool_call_id, status, exit_code, result from tool_calls order by rowid").fetchall()
    assert [r[:3] for r in rows] == [("c1", "ok", 0), ("c2", "timeout", -1), ("c3", "tool_error", 1), ("c4", "ok", None)]
    assert rows[3][3] == "diff --git a/x b/x"
    assert (result.tool_calls, result.tool_calls_failed) == (4, 2)
    cached, cost = db.execute("select sum(cached_tokens), round(sum(cost_usd), 6) from model_calls").fetchone()
    assert (cached, cost) == (2_400, 0.04)
    session = db["sessions"].get(result.session_id)
    assert (session["status"], session["workspace"], session["started_at"][:19]) == ("completed", "/repo", "2025-10-09T08:53:21")
    notices = [e["message"] for e in load_events(db, result.session_id) if e["type"] == "notice"]
    assert notices == ["the model's reply had no usable action; the agent asked again"]
    assert import_path(db, path).status == "skipped"


def test_text_based_v2_reads_extra_actions_and_user_observations(db, tmp_path):
    assistant = {"role": "assistant", "content": "Look:\n```mswea_bash_command\nls\n```",
                 "extra": {"actions": [{"command": "ls"}], "response": _response(1), "cost": 0.0, "timestamp": 1_760_000_001.0}}
    observation = {"role": "user", "content": "<returncode>2</returncode>\n<output>\nno</output>",
                   "extra": {"returncode": 2, "timestamp": 1_760_000_002.0}}
    no_usage = {"role": "assistant", "content": "```mswea_bash_command\ncat x\n```", "extra": {"actions": [{"command": "cat x"}]}}
    path = _trajectory(tmp_path, [assistant, observation, no_usage], exit_status="LimitsExceeded")
    result = import_path(db, path)
    assert (result.model_calls, result.counted_calls, result.tool_calls, result.tool_calls_failed) == (2, 1, 2, 2)
    rows = db.execute("select arguments, status, exit_code from tool_calls order by rowid").fetchall()
    assert [(json.loads(arguments), *rest) for arguments, *rest in rows] == [
        ({"command": "ls"}, "tool_error", 2), ({"command": "cat x"}, "cancelled", None)]
    assert db.execute("select cost_usd from model_calls order by rowid").fetchall() == [(None,), (None,)]  # 0: no price
    assert db["sessions"].get(result.session_id)["status"] == "limit"


@pytest.mark.parametrize("cut", [200, -300])
def test_a_truncated_v2_file_names_its_line_and_writes_nothing(db, tmp_path, cut):
    source = _trajectory(tmp_path, [_assistant(1, ("c1", "ls")), _tool("c1", "a", 0, 1)])
    assert_cut_file_writes_nothing(db, source, tmp_path / "cut.traj.json", cut)


def test_a_huge_trajectory_is_read_in_bounded_memory(db, tmp_path):
    messages = []
    for n in range(3_000):  # about 13 MB
        messages += [_assistant(n, (f"c{n}", "cat big")), _tool(f"c{n}", "z" * 4_000, 0, n)]
    path = _trajectory(tmp_path, messages)
    assert path.stat().st_size > 12_000_000
    count, peak = converted_with_peak(mini_swe_agent.convert, path)
    assert count > 3_000 * 4 and peak < 8_000_000, peak
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tokens_in) == (3_000, 3_000, 3_000_000)
