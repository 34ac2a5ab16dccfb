"""A sub-agent's tool calls go through the user's PreToolUse hooks as the parent's do: a guard holds for
every call, announced in the child's session."""

from __future__ import annotations

import sys
from pathlib import Path

from app.agent.events import core as ev
from app.agent.events.hooks import HookOutcome, HookRan
from app.settings import Settings
from app.tui.session_files import stored_events
from tests.core.helpers import make_session
from tests.subagents.support import MODEL, converse, delegate
from tests.support.openai_server import Reply, ToolCallSpec


async def test_a_child_s_call_is_blocked_by_the_parent_s_pre_tool_use_hook(openai_server, workspace, tmp_path: Path):
    hook = tmp_path / "guard.py"
    hook.write_text("import sys\nprint('no rm', file=sys.stderr)\nsys.exit(2)\n", encoding="utf-8")
    prompts = tmp_path / "prompt.log"
    prompt_hook = f"{sys.executable} -c \"import sys; open({str(prompts)!r}, 'a').write(sys.stdin.read())\""
    converse(openai_server, {
        "clean up": [delegate("Remove the build folder."), Reply(text="The child could not.")],
        "Remove the build folder.": [Reply(tool_calls=[ToolCallSpec("bash", {"command": "rm -rf build"})]),
                                     Reply(text="A hook refused rm.")],
    })
    (workspace / "build").mkdir()
    settings = Settings(agent={"subagents": True}, hooks={
        "PreToolUse": [{"matcher": "bash", "command": f"{sys.executable} {hook}"}],
        "UserPromptSubmit": [{"command": prompt_hook}]})
    session, events, db = make_session(MODEL, workspace, tmp_path / "c.db", settings=settings,
                                       api_base=openai_server.url)
    session.start()
    await session.run_task("clean up")
    session.finish()

    assert (workspace / "build").is_dir()
    child_id = next(s["id"] for s in db["sessions"].rows if s["parent_id"] == session.id)
    child_events = stored_events(db, child_id)
    (ran,) = [e for e in child_events if isinstance(e, HookRan)]
    assert (ran.hook_event, ran.outcome, ran.tool_name) == ("PreToolUse", HookOutcome.BLOCKED, "bash")
    (finished,) = [e for e in child_events if isinstance(e, ev.ToolCallFinished)]
    assert finished.status is ev.ToolStatus.DENIED and "no rm" in finished.result
    assert prompts.read_text().count('"hook_event_name": "UserPromptSubmit"') == 1  # the user's task only
    assert not [e for e in events if isinstance(e, HookRan) and e.hook_event == "PreToolUse"]  # the parent ran task
