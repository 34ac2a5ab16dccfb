"""The pieces under the app: the event bridge, the runner, run_tui's early errors, formatting."""

from __future__ import annotations

import argparse
import asyncio
import threading
from pathlib import Path

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest
from app.tui.approver import TuiApprover
from app.tui.bridge import EventBridge
from app.tui.messages import ApprovalNeeded, TextReady
from app.tui.runner import AgentRunner, RunnerClosed
from widgets.session_stats import SessionStats, clock_text
from widgets.status_bar import display_model
from widgets.tool_format import call_body, format_duration, result_lexer, short_args, truncate_lines

ROOT = Path(__file__).resolve().parents[2]


# --- the bridge -------------------------------------------------------------------


def _kinds(posted: list) -> list[tuple[str, str | None]]:
    out = []
    for message in posted:
        if isinstance(message, TextReady):
            out.append(("ready", None))
        else:
            out.append((message.event.type, getattr(message.event, "text", None)))
    return out


def test_a_burst_of_deltas_posts_one_wake_up_and_is_taken_merged():
    posted: list = []
    bridge = EventBridge(posted.append)
    for piece in ("Hel", "lo ", "world"):
        bridge(ev.TextDelta(call_id="a", text=piece))
    assert _kinds(posted) == [("ready", None)]
    assert posted[0].bridge is bridge
    merged = bridge.take()
    assert (merged.call_id, merged.text) == ("a", "Hello world")
    assert bridge.take() is None
    bridge(ev.TextDelta(call_id="a", text="again"))  # a new burst wakes the UI again
    assert _kinds(posted) == [("ready", None), ("ready", None)]


def test_other_events_flush_the_text_first_and_calls_never_merge():
    posted: list = []
    bridge = EventBridge(posted.append)
    bridge(ev.TextDelta(call_id="a", text="one "))
    bridge(ev.TextDelta(call_id="a", text="two"))
    bridge(ev.TextDelta(call_id="b", text="other call"))
    bridge(ev.ModelCallFinished(call_id="b"))
    assert _kinds(posted) == [
        ("ready", None),
        ("text_delta", "one two"),
        ("ready", None),
        ("text_delta", "other call"),
        ("model_call_finished", ""),
    ]
    assert bridge.take() is None  # the wake-up finds nothing left


# --- the approver ------------------------------------------------------------------


def test_the_approver_waits_for_resolve_from_another_thread():
    posted: list[ApprovalNeeded] = []
    ready = threading.Event()

    def post(message):
        posted.append(message)
        ready.set()

    approver = TuiApprover(post)
    request = ApprovalRequest(tool_call_id="t", name="bash", arguments={"command": "ls"})
    answer: list[ApprovalDecision] = []
    thread = threading.Thread(target=lambda: answer.append(asyncio.run(approver.decide(request))))
    thread.start()
    assert ready.wait(5)
    posted[0].resolve(ApprovalDecision("deny", reason="no"))
    posted[0].resolve(ApprovalDecision("allow"))  # a second answer is ignored
    thread.join(5)
    assert answer == [ApprovalDecision("deny", reason="no")]


# --- the runner ---------------------------------------------------------------------


def test_the_runner_runs_calls_on_its_own_thread_and_closes_once():
    runner = AgentRunner()
    caller = threading.get_ident()
    assert runner.call(threading.get_ident).result(5) != caller
    assert not runner.busy and runner.interrupt() is False
    runner.close()
    runner.close()
    with pytest.raises(RunnerClosed):
        runner.call(print)


def test_call_awaits_coroutine_functions_on_the_agent_loop():
    runner = AgentRunner()

    async def where() -> int:
        await asyncio.sleep(0)
        return threading.get_ident()

    try:
        assert runner.call(where).result(5) not in (threading.get_ident(), None)
    finally:
        runner.close()


def test_submitting_without_a_session_fails_clearly():
    runner = AgentRunner()
    try:
        with pytest.raises(RunnerClosed):
            runner.submit("task").result(5)
    finally:
        runner.close()


# --- run_tui before the app ------------------------------------------------------------


def _args(**kw) -> argparse.Namespace:
    from app.cli import build_parser

    return build_parser().parse_args([f"--{k.replace('_', '-')}={v}" for k, v in kw.items()])


def _session_maker(args: argparse.Namespace):
    from app.commands.common import run_options
    from app.settings import load_settings
    from app.tui.main import LazyStore, SessionMaker

    settings, options = load_settings(), run_options(args)
    stores = LazyStore()
    stores.options = options
    return SessionMaker(settings, options, None, stores), stores


def test_without_a_model_the_first_one_picked_in_the_app_becomes_the_default(workspace, write_script, cockpit_home):
    from app.agent.approvals import HeadlessApprover
    from app.model_select import NoModelConfigured
    from app.settings import load_settings

    make_session, stores = _session_maker(_args(workspace=workspace))
    with pytest.raises(NoModelConfigured, match="No model is configured"):
        make_session(HeadlessApprover(False))
    first, second = write_script([{"text": "a"}]), write_script([{"text": "b"}])
    session = make_session(HeadlessApprover(False), model=first)
    assert session.agent.model.name == first
    assert load_settings().model == first  # saved to the config file
    make_session(HeadlessApprover(False), model=second)  # a later change is for this session only
    assert load_settings().model == first
    stores.get()[0].close()


def test_a_missing_script_or_workspace_exits_2(workspace, tmp_path, capsys):
    from app.tui.main import run_tui

    assert run_tui(_args(model=f"scripted/{tmp_path}/nope.json", workspace=workspace)) == 2
    assert "no script at" in capsys.readouterr().err
    assert run_tui(_args(model="openai/x", workspace=tmp_path / "missing")) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_an_unknown_resume_id_exits_2(workspace, capsys):
    from app.tui.main import run_tui

    assert run_tui(_args(model="openai/x", workspace=workspace, resume="deadbeef")) == 2
    assert "deadbeef" in capsys.readouterr().err


# --- formatting ---------------------------------------------------------------------------


def test_tool_formatting_helpers():
    assert short_args("bash", {"command": "ls   -la\n| wc"}) == "ls -la | wc"
    assert short_args("read_file", {"path": "a.py", "start_line": 3}) == "a.py:3-"
    assert short_args("grep", {"pattern": "TODO", "path": "src"}) == "TODO in src"
    assert short_args("x", None, raw='{"a": 1') == '{"a": 1'
    todos = [{"content": "a", "status": "done"}, {"content": "b", "status": "in_progress"}, {"content": "c", "status": "pending"}]
    assert short_args("todo_write", {"todos": todos}) == "3 items · 1 done · 1 in progress"
    assert short_args("todo_write", {"todos": [{"content": "a", "status": "completed"}]}) == "1 item · 1 done"
    assert call_body("bash", {"command": "make"}) == ("make", "bash")
    code, lexer = call_body("edit_file", {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
    assert lexer == "diff" and "-x = 1" in code and "+x = 2" in code
    assert call_body("write_file", {"path": "a.py", "content": "print()\n"}) == ("print()", "python")
    assert call_body("write_file", {"path": "a.py"}, preview="--- a\n+++ b\n") == ("--- a\n+++ b", "diff")
    assert result_lexer("read_file", {"path": "m.rs"}, "fn main() {}") == "rust"
    assert result_lexer("bash", {}, "--- a/x\n+++ b/x") == "diff"
    assert truncate_lines("a\nb\nc", 2) == ("a\nb", 1)
    assert format_duration(12) == "0.01s" and format_duration(75_000) == "1m15s" and format_duration(0) == ""


def test_status_numbers():
    stats = SessionStats()
    stats.apply(ev.SessionStarted(session_id="s1", model="m", workspace="/w/proj"), 0)
    stats.apply(ev.TurnStarted(turn=1), 10)
    stats.apply(ev.ModelCallStarted(attempt=1, model="m"), 10)
    stats.apply(ev.ModelCallStarted(attempt=2, model="m"), 11)  # a retry is not a step
    stats.apply(ev.ModelCallFinished(usage={"prompt_tokens": 1500, "completion_tokens": 20}, cost_usd=0.01), 12)
    assert (stats.steps, stats.tokens_in, stats.tokens_out, stats.cost.total) == (1, 1500, 20, 0.01)
    assert stats.elapsed(15) == 5
    stats.apply(ev.TurnFinished(turn=1), 20)
    assert stats.elapsed(99) == 10 and not stats.running
    assert clock_text(75) == "1:15"
    assert display_model("scripted//tmp/x/script-0.json") == "scripted/script-0.json"
    assert display_model("anthropic/claude-sonnet-4-5") == "anthropic/claude-sonnet-4-5"
