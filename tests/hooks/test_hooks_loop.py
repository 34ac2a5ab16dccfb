"""Hooks through the real loop: a session built as the app builds it, litellm talking to a loopback
OpenAI-compatible server; what a hook says reaches the model's next request, and every run is a
stored event the transcript folds the same way live and from the store."""

from __future__ import annotations

import dataclasses

import json
import sys
import time
from pathlib import Path

from app.agent.bus import EventList
from app.agent.events import core as ev
from app.agent.events.hooks import HookOutcome, HookRan
from app.agent.events.transcript_view import NOTICE, TranscriptFold
from app.agent.hooks.hooks import STOP_NUDGES_PER_TURN
from app.runtime import RunOptions, build_session
from app.settings import Settings
from app.tui.session_files import stored_events
from storage.db import open_db
from storage.store import EventStore
from tests.core.test_permissions_policy import Answers
from tests.support.openai_server import Reply, ToolCallSpec

MODEL = "openai/gpt-4o"


def hook_script(tmp_path: Path, name: str, body: str) -> str:
    """A hook command: a Python script reading the JSON on stdin (``event``), its body run as written."""
    path = tmp_path / f"{name}.py"
    path.write_text("import json, sys, time\nevent = json.load(sys.stdin)\n" + body, encoding="utf-8")
    return f"{sys.executable} {path}"


def open_session(workspace: Path, db_path: Path, api_base: str, hooks: dict, mode: str = "yolo"):
    session = build_session(Settings(hooks=hooks), RunOptions(model=MODEL, workspace=workspace, db_path=db_path,
                                                              api_base=api_base, permission_mode=mode),
                            human=Answers(), store=EventStore(open_db(db_path)))
    events = EventList()
    session.bus.subscribe(events)
    session.start()
    return session, events


def tool_messages(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "tool"]


def echo_call(text: str = "hello") -> Reply:
    return Reply(tool_calls=[ToolCallSpec("bash", {"command": f"echo {text} > made.txt"})])


async def test_a_pre_tool_use_hook_that_allows_lets_the_call_run_and_sees_its_json(openai_server, workspace, tmp_path):
    seen = tmp_path / "seen.json"
    command = hook_script(tmp_path, "allow", f"open({str(seen)!r}, 'w').write(json.dumps(event))\n")
    openai_server.script([echo_call(), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PreToolUse": [{"matcher": "bash", "command": command}]})

    result = await session.run_task("make the file")

    assert result.outcome == "completed"
    assert (workspace / "made.txt").read_text() == "hello\n"
    payload = json.loads(seen.read_text())
    (finished,) = events.of(ev.ToolCallFinished)
    assert payload == {"session_id": session.id, "cwd": str(workspace), "hook_event_name": "PreToolUse",
                       "tool_name": "bash", "tool_input": {"command": "echo hello > made.txt"},
                       "tool_use_id": finished.tool_call_id}
    (ran,) = events.of(HookRan)
    assert (ran.outcome, ran.exit_code, ran.tool_name, ran.blocked) == (HookOutcome.OK, 0, "bash", False)
    assert ran.duration_ms > 0


async def test_a_pre_tool_use_hook_that_exits_2_blocks_the_call_and_the_model_reads_why(
        openai_server, workspace, tmp_path):
    command = hook_script(tmp_path, "block", "print('no writes from bash here', file=sys.stderr)\nsys.exit(2)\n")
    openai_server.script([echo_call(), Reply(text="understood")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PreToolUse": [{"matcher": "bash|write_file", "command": command}]}, mode="ask")

    await session.run_task("make the file")

    assert not (workspace / "made.txt").exists()
    assert not events.of(ev.ApprovalRequested)  # blocked before anyone was asked
    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.DENIED
    second = openai_server.chat_requests[1]
    assert tool_messages(second) == ["Error: Blocked by a PreToolUse hook: no writes from bash here"]
    (ran,) = events.of(HookRan)
    assert (ran.outcome, ran.exit_code, ran.stderr) == (HookOutcome.BLOCKED, 2, "no writes from bash here\n")


async def test_a_hook_that_fails_with_exit_1_is_reported_and_blocks_nothing(openai_server, workspace, tmp_path):
    command = hook_script(tmp_path, "broken", "print('jq: not found', file=sys.stderr)\nsys.exit(1)\n")
    openai_server.script([echo_call(), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PreToolUse": [{"command": command}]})

    await session.run_task("make the file")

    assert (workspace / "made.txt").exists()
    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.OK and "hook" not in finished.result
    (ran,) = events.of(HookRan)
    assert (ran.outcome, ran.exit_code) == (HookOutcome.FAILED, 1)
    notices = [e for e in TranscriptFold.of(events).entries if e.kind == NOTICE and "hook" in e.text]
    assert [(n.text.split(" · ")[0], n.level) for n in notices] == [
        ("PreToolUse hook failed (not blocking)", "warning")]
    assert notices[0].detail == f"{command}: jq: not found"


async def test_a_hook_that_outlives_its_timeout_is_killed_with_its_group_and_blocks_nothing(
        openai_server, workspace, tmp_path):
    pid_file = tmp_path / "child.pid"
    body = ("import subprocess\n"
            f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "time.sleep(60)\n")
    command = hook_script(tmp_path, "slow", body)
    openai_server.script([echo_call(), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PreToolUse": [{"command": command, "timeout": 1}]})

    await session.run_task("make the file")

    assert (workspace / "made.txt").exists()
    (ran,) = events.of(HookRan)
    assert (ran.outcome, ran.exit_code, ran.timeout_s) == (HookOutcome.TIMED_OUT, None, 1.0)
    assert 1000 <= ran.duration_ms < 30_000
    assert _dies(int(pid_file.read_text()))  # the hook's child went with it


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _dies(pid: int, within_s: float = 30.0) -> bool:
    """True once the process is gone or a zombie: a SIGKILL is delivered, and its target dies, when the
    kernel next runs it, which on a loaded machine is not the instant the signal is sent."""
    deadline = time.monotonic() + within_s
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


async def test_a_post_tool_use_hook_that_exits_2_adds_its_reason_to_the_result(openai_server, workspace, tmp_path):
    command = hook_script(tmp_path, "lint", "assert event['tool_response']['exit_code'] == 0\n"
                                            "print('made.txt: trailing newline missing', file=sys.stderr)\n"
                                            "sys.exit(2)\n")
    openai_server.script([echo_call(), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PostToolUse": [{"matcher": "bash", "command": command}]})

    await session.run_task("make the file")

    (message,) = tool_messages(openai_server.chat_requests[1])
    assert message.endswith("\n\n[PostToolUse hook] made.txt: trailing newline missing")
    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.OK and finished.result == message


async def test_post_tool_use_hooks_follow_calls_that_succeeded_only(openai_server, workspace, tmp_path):
    command = hook_script(tmp_path, "post", "sys.exit(2)\n")
    openai_server.script([Reply(tool_calls=[ToolCallSpec("bash", {"command": "exit 3"})]), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PostToolUse": [{"command": command}]})

    await session.run_task("fail")

    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.TOOL_ERROR and not events.of(HookRan)


async def test_a_stop_hook_that_exits_2_sends_the_agent_on_a_bounded_number_of_times(
        openai_server, workspace, tmp_path):
    log = tmp_path / "stop.log"
    command = hook_script(tmp_path, "stop", f"open({str(log)!r}, 'a')"
                                            ".write(json.dumps(event['stop_hook_active']) + '\\n')\n"
                                            "print('the tests were not run', file=sys.stderr)\nsys.exit(2)\n")
    openai_server.script([Reply(text=f"answer {n}") for n in range(STOP_NUDGES_PER_TURN + 1)])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"Stop": [{"command": command}]})

    result = await session.run_task("finish the work")

    assert result.outcome == "completed"
    assert len(openai_server.chat_requests) == STOP_NUDGES_PER_TURN + 1  # then the turn ends whatever it says
    last = openai_server.chat_requests[-1].body["messages"]
    assert last[-1] == {"role": "user", "content": "[Stop hook] the tests were not run"}
    assert log.read_text().split() == ["false"] + ["true"] * (STOP_NUDGES_PER_TURN - 1)


async def test_a_user_prompt_submit_hook_that_exits_2_keeps_the_task_from_the_model(openai_server, workspace, tmp_path):
    command = hook_script(tmp_path, "prompt", "if 'password' in event['prompt']:\n"
                                              "    print('prompts must not carry secrets', file=sys.stderr)\n"
                                              "    sys.exit(2)\n")
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"UserPromptSubmit": [{"command": command}]})

    result = await session.run_task("the password is hunter2")

    assert (result.outcome, result.message) == ("blocked", "prompts must not carry secrets")
    assert openai_server.chat_requests == [] and not events.of(ev.TurnStarted)
    assert await session.run_task("say hi") and len(openai_server.chat_requests) == 1  # the next task goes through
    notices = [e for e in TranscriptFold.of(events).entries if e.kind == NOTICE and "hook" in e.text]
    assert notices[0].text.startswith("UserPromptSubmit hook blocked · exit 2")


async def test_session_start_runs_once_and_every_run_is_stored_and_folds_the_same_from_the_store(
        openai_server, workspace, tmp_path):
    start = hook_script(tmp_path, "start", "assert event['source'] == 'startup'\nsys.exit(3)\n")
    block = hook_script(tmp_path, "block", "print('not now', file=sys.stderr)\nsys.exit(2)\n")
    openai_server.script([echo_call(), Reply(text="one"), Reply(text="two")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"SessionStart": [{"matcher": "startup", "command": start}],
                                    "PreToolUse": [{"command": block}]})

    await session.run_task("first")
    await session.run_task("second")
    session.finish()

    live = [e for e in events if isinstance(e, HookRan)]
    assert [(e.hook_event, e.outcome) for e in live] == [("SessionStart", HookOutcome.FAILED),
                                                           ("PreToolUse", HookOutcome.BLOCKED)]
    stored = stored_events(open_db(tmp_path / "c.db"), session.id)
    assert [e.to_dict() for e in stored if isinstance(e, HookRan)] == [e.to_dict() for e in live]
    persisted = [e for e in events if e.persist]
    # the same entries; their positions differ: a resumed screen reads the events without the conversation's copies
    assert _shown(TranscriptFold.of(stored).entries) == _shown(TranscriptFold.of(persisted).entries)


def _shown(entries):
    """The entries without the event positions they were made and changed at."""
    return [dataclasses.replace(entry, index=0, updated=0) for entry in entries]


async def test_esc_while_a_hook_runs_kills_it_and_cancels_the_call(openai_server, workspace, tmp_path):
    import asyncio

    pid_file = tmp_path / "hook.pid"
    command = hook_script(tmp_path, "hang", f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                                            "time.sleep(60)\n")
    openai_server.script([echo_call(), Reply(text="done")])
    session, events = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                   {"PreToolUse": [{"command": command}]})

    task = asyncio.ensure_future(session.run_task("make the file"))
    while not (pid_file.exists() and pid_file.read_text()):  # the hook is running
        await asyncio.sleep(0.01)
    task.cancel()
    result = await task

    assert result.outcome == "interrupted" and not (workspace / "made.txt").exists()
    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.CANCELLED and "PreToolUse hook" in finished.result
    assert _dies(int(pid_file.read_text()))  # killed with its group
