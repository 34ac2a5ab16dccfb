"""``!command`` in the prompt: the bash tool's approvals and sandbox, no model call, the output in the
conversation for the next turn, and the same transcript live, on resume and from the store."""

from __future__ import annotations

from pathlib import Path

from app.agent.events import core as ev
from app.agent.events.approvals import SANDBOX_ESCALATION, ApprovalDecision
from app.agent.permissions.rules import parse_rule
from app.agent.events.transcript_view import RUN_BY_USER, TOOL, USER, TranscriptFold
from app.agent.user_command import COMMAND_MARKER, command_of
from app.runtime import RunOptions, build_session
from app.settings import Settings
from app.tui.session_files import stored_events
from storage.db import open_db
from storage.store import EventStore
from tests.core.test_permissions_policy import Answers
from tests.support.openai_server import Reply
from tests.support.wire import assert_sent_as_joined
from tests.tools.test_sandbox import needs_bwrap

MODEL = "openai/gpt-4o"


ALLOW = ApprovalDecision("allow")
DENY = ApprovalDecision("deny", reason="not now")


def open_session(workspace: Path, db_path: Path, api_base: str, person: Answers, **options):
    from app.agent.bus import EventList

    db = open_db(db_path)
    session = build_session(Settings(), RunOptions(model=MODEL, workspace=workspace, db_path=db_path, api_base=api_base,
                                                   permission_mode="ask", **options),
                            human=person, store=EventStore(db))
    events = EventList()
    session.bus.subscribe(events)
    session.start()
    return session, events, db


def shown(entries) -> list[tuple[str, str, str, str]]:
    return [(e.kind, e.text, e.status, e.note) for e in entries if e.kind in (USER, TOOL)]


async def test_an_allowed_command_runs_without_a_model_call_and_the_model_sees_it_next_turn(
        openai_server, workspace, tmp_path):
    person = Answers(ALLOW)
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, person)

    result = await session.run_input("!echo made > out.txt && echo hello from the shell")

    assert result.outcome == "completed"
    assert (workspace / "out.txt").read_text() == "made\n"
    assert [r.arguments["command"] for r in person.asked] == ["echo made > out.txt && echo hello from the shell"]
    assert events.of(ev.ApprovalRequested)  # ask mode: the person was asked, as for the agent's bash
    (requested,) = events.of(ev.ToolCallRequested)
    assert (requested.name, requested.started_by) == ("bash", ev.STARTED_BY_USER)
    assert openai_server.chat_requests == [] and not events.of(ev.ModelCallStarted)
    assert not events.of(ev.TurnStarted)  # no turn: the session's outcome stays the last task's

    openai_server.script([Reply(text="I saw it.")])
    await session.run_input("what did my command print?")
    session.finish()
    (request,) = openai_server.chat_requests
    users = assert_sent_as_joined(request.body["messages"], session.agent.messages)  # one message on the wire
    assert users[0].startswith(COMMAND_MARKER) and "$ echo made > out.txt" in users[0]
    assert "[exit 0]" in users[0] and "<output>\nhello from the shell\n</output>" in users[0]
    assert users[1] == "what did my command print?"
    db.close()


async def test_a_denied_command_does_not_run_and_adds_nothing(openai_server, workspace, tmp_path):
    person = Answers(DENY)
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, person)

    result = await session.run_input("!touch never.txt")
    session.finish()

    assert result.outcome == "failed"
    assert not (workspace / "never.txt").exists()
    (finished,) = events.of(ev.ToolCallFinished)
    assert finished.status is ev.ToolStatus.DENIED
    assert not any(m.get("content", "").startswith(COMMAND_MARKER) for m in session.agent.messages if m["role"] == "user")
    assert shown(TranscriptFold.of(events).entries) == [
        ("user", "!touch never.txt", "", ""), ("tool", "", "denied", "denied: not now")]
    db.close()


async def test_a_permission_rule_and_yes_mode_apply_as_to_the_agent(openai_server, workspace, tmp_path):
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, Answers(), yes=True)
    session.agent.approvals.rules.deny.append(parse_rule("bash(rm:*)"))
    (workspace / "keep.txt").write_text("k")

    await session.run_input("!rm keep.txt")
    session.finish()

    assert (workspace / "keep.txt").exists()
    assert events.of(ev.ToolCallFinished)[0].status is ev.ToolStatus.DENIED
    db.close()


@needs_bwrap
async def test_the_command_runs_in_the_sandbox(openai_server, workspace, tmp_path):
    probe = Path("/etc/cockpit_probe_user_command")  # read-only inside the sandbox
    person = Answers(ALLOW, DENY)  # the command, then leaving the sandbox
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, person)
    try:
        await session.run_input(f"!touch {probe}")
        session.finish()
        assert not probe.exists()
    finally:
        probe.unlink(missing_ok=True)

    assert [r.kind for r in person.asked] == ["tool", SANDBOX_ESCALATION]
    assert events.of(ev.SandboxState)[0].backend == "bwrap"
    db.close()


async def test_the_transcript_is_the_same_live_from_the_store_and_after_a_resume(openai_server, workspace, tmp_path):
    db_path = tmp_path / "c.db"
    session, events, db = open_session(workspace, db_path, openai_server.url, Answers(ALLOW))
    await session.run_input("! echo one")  # as typed: the space after "!" stays
    session.finish()

    live = shown(TranscriptFold.of(events).entries)
    assert live == [("user", "! echo one", "", ""), ("tool", "", "ok", RUN_BY_USER)]
    tool = next(e for e in TranscriptFold.of(events).entries if e.kind == TOOL)
    assert tool.result.strip() == "one"
    assert shown(TranscriptFold.of(stored_events(db, session.id)).entries) == live

    resumed, resumed_events, _ = open_session(workspace, db_path, openai_server.url, Answers(), resume=session.id)
    assert any(m["role"] == "user" and m["content"].startswith(COMMAND_MARKER) and "one" in m["content"]
               for m in resumed.agent.messages)
    assert resumed.agent.turn == 0  # a command is no turn
    resumed.finish()
    db.close()


def test_what_counts_as_a_command() -> None:
    assert command_of("!ls -la") == "ls -la"
    assert command_of("! ls") == " ls"
    assert command_of("!") is None and command_of("!   ") is None
    assert command_of("fix the !important bug") is None
