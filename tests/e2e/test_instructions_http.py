"""Project instructions through the real loop, over HTTP to the loopback OpenAI-compatible server.

What the server received is the truth: its system message holds the files in
order, each under its header; the Context budget's ``instructions`` category is
the server-side tokenizer's count of those sections; the ``instructions_loaded``
event is stored and folds into one transcript line; a file changed between two
turns reaches the second turn's model call, and an event says so.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from app.agent.events.budget import ContextMeasured
from app.agent.events.core import InstructionsLoaded, MessagesReplaced, event_from_dict
from app.agent.events.transcript_view import NOTICE, TranscriptFold
from storage.queries import conversation, load_events
from tests.core.helpers import make_session
from tests.support.openai_server import Reply, encoding

from app.settings import Settings

# Every item of a measurement, not only the largest 8 (tool definitions are items too).
EVERY_ITEM = Settings(budget={"top_items": 100})


def independent(text: str) -> int:
    return len(encoding("o200k_base").encode(text, disallowed_special=()))


def sections_of(system: str) -> dict[str, str]:
    """The system message cut at its file headers (each section up to the next header)."""
    starts = [system.index(header) for header in HEADERS]
    return {h: system[a:b] for h, a, b in zip(HEADERS, starts, [*starts[1:], len(system)])}


HEADERS = [
    "# User instructions from ",
    "# Project instructions from AGENTS.md",
    "# Instructions from docs/testing.md (imported by AGENTS.md)",
    "# Project instructions from app/CLAUDE.md",
]


def repository(workspace: Path, cockpit_home: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(workspace)], check=True)
    (workspace / "AGENTS.md").write_text("Always run the tests. Details: @docs/testing.md\n")
    (workspace / "docs").mkdir()
    (workspace / "docs" / "testing.md").write_text("Use pytest -q.\n")
    (workspace / "app").mkdir()
    (workspace / "app" / "CLAUDE.md").write_text("The app package is headless.\n")
    cockpit_home.mkdir(exist_ok=True)
    (cockpit_home / "AGENTS.md").write_text("I prefer short answers.\n")
    return workspace / "app"


async def test_instructions_reach_the_server_in_order_with_true_figures_and_reload(
    openai_server, workspace, tmp_path, cockpit_home
):
    app_dir = repository(workspace, cockpit_home)
    openai_server.script([Reply(text="First."), Reply(text="Second.")])
    session, events, db = make_session("openai/gpt-4o", app_dir, tmp_path / "i.db", api_base=openai_server.url, settings=EVERY_ITEM)
    session.start()
    assert (await session.run_task("hello")).outcome == "completed"

    system = openai_server.chat_requests[0].body["messages"][0]["content"]
    positions = [system.index(header) for header in HEADERS]
    assert positions == sorted(positions)  # user file, then repository root down to the workspace, imports after
    assert "I prefer short answers." in system and "Use pytest -q." in system
    assert "git: branch main, " in system and "untracked" in system  # from git itself

    (loaded,) = events.of(InstructionsLoaded)
    assert loaded.reason == "start"
    assert [f["label"] for f in loaded.files][1:] == ["AGENTS.md", "docs/testing.md", "app/CLAUDE.md"]
    expected = [independent(text) for text in sections_of(system).values()]
    assert [f["tokens"] for f in loaded.files] == expected
    measured = events.of(ContextMeasured)[0]
    category = next(c for c in measured.categories if c["key"] == "instructions")
    assert category["local_tokens"] == category["tokens"] == loaded.tokens == sum(expected)
    items = {item["id"]: item["tokens"] for item in measured.items}
    assert items["instructions:AGENTS.md"] == expected[1]

    # Between turns AGENTS.md changes and the file it imported is deleted.
    (workspace / "AGENTS.md").write_text("Always run the tests, and lint. Details: @docs/testing.md\n")
    (workspace / "docs" / "testing.md").unlink()
    assert (await session.run_task("again")).outcome == "completed"
    session.finish()

    second = openai_server.chat_requests[1].body["messages"]
    assert "and lint" in second[0]["content"] and "Use pytest -q." not in second[0]["content"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]  # the conversation is kept
    reload = events.of(InstructionsLoaded)[1]
    assert reload.reason == "reload"
    assert reload.changes == [{"label": "AGENTS.md", "change": "changed"},
                              {"label": "docs/testing.md", "change": "removed"}]
    assert reload.notes == ["@docs/testing.md in AGENTS.md: no such file"]
    replaced = events.of(MessagesReplaced)
    assert len(replaced) == 1 and not replaced[0].compaction
    assert events.of(ContextMeasured)[-1].categories != measured.categories

    # Stored; resume and replay fold the same lines as live did.
    stored = [event_from_dict(e) for e in load_events(db, session.id)]
    assert [e.reason for e in stored if isinstance(e, InstructionsLoaded)] == ["start", "reload"]
    live = [e for e in TranscriptFold.of(events).entries if e.kind == NOTICE]
    again = [e for e in TranscriptFold.of(stored).entries if e.kind == NOTICE]
    assert [e.text for e in again] == [e.text for e in live]
    lines = [e.text for e in live if e.text.startswith("Instructions")]
    assert lines[0].startswith("Instructions: ") and "AGENTS.md" in lines[0] and "docs/testing.md" in lines[0]
    assert lines[1].startswith("Instructions reloaded: AGENTS.md changed, docs/testing.md removed")
    assert not any("compacted" in e.text for e in live)
    assert "and lint" in conversation(db, session.id)[0]["content"]  # a resumed session starts from the new text


async def test_a_resumed_session_starts_from_the_instructions_as_they_are_now(openai_server, workspace, tmp_path,
                                                                              cockpit_home):
    app_dir = repository(workspace, cockpit_home)
    openai_server.script([Reply(text="First."), Reply(text="Resumed.")])
    first, _, db = make_session("openai/gpt-4o", app_dir, tmp_path / "r.db", api_base=openai_server.url, settings=EVERY_ITEM)
    first.start()
    await first.run_task("hello")
    first.finish()
    db.close()
    (workspace / "app" / "CLAUDE.md").write_text("The app package is headless and typed.\n")

    resumed, events, db = make_session("openai/gpt-4o", app_dir, tmp_path / "r.db", api_base=openai_server.url, settings=EVERY_ITEM,
                                       resume=first.id)
    resumed.start()
    (loaded,) = events.of(InstructionsLoaded)
    assert loaded.reason == "resume" and loaded.files[-1]["label"] == "app/CLAUDE.md"
    assert "headless and typed" in resumed.agent.messages[0]["content"]
    await resumed.run_task("and now?")
    resumed.finish()
    sent = openai_server.chat_requests[-1].body["messages"]
    assert "headless and typed" in sent[0]["content"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert len(events.of(InstructionsLoaded)) == 1  # nothing changed between the resume and the task
