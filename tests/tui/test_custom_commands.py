"""Custom commands: Markdown files in .cockpit/commands, .claude/commands, the config folder's
commands/ and ~/.claude/commands, sent to the model expanded; listed in /help and the popup."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.agent.events import core as ev
from app.tui.slash.custom import CustomCommand, parse
from tests.tui.conftest import type_and_send, wait_idle, wait_until
from tests.tui.slash_support import opened, run, served  # noqa: F401  (served: a fixture)
from widgets.completion_menu import CompletionMenu
from widgets.user_message import UserMessage

REVIEW = """---
description: Review a file for bugs
argument-hint: <file> [focus]
---
Review $1 for bugs, focusing on $2.
All arguments: $ARGUMENTS
"""


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``~`` for ~/.claude/commands, in tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def command(body: str) -> CustomCommand:
    return CustomCommand("x", "", "", body, Path("x.md"), "project")


def test_frontmatter_description_and_hint_or_the_first_line():
    meta, body = parse(REVIEW)
    assert meta == {"description": "Review a file for bugs", "argument-hint": "<file> [focus]"}
    assert body.startswith("Review $1")
    assert parse("# Explain the code\n\nExplain it.") == ({}, "# Explain the code\n\nExplain it.")
    assert parse("---\nnot closed") == ({}, "---\nnot closed")


def test_arguments_and_positions_are_substituted():
    assert command("Fix issue #$ARGUMENTS now").expand("123") == "Fix issue #123 now"
    assert command("Review $1 with priority $2.").expand('"src/a b.py" high') == "Review src/a b.py with priority high."
    assert command("Only $1 and $3").expand("one") == "Only one and "  # missing ones are empty
    assert command("Plain text").expand("extra words") == "Plain text\n\nARGUMENTS: extra words"  # never lost
    assert command("Plain text").expand("") == "Plain text"


FOLDERS = {
    "project": lambda ws, cockpit_home, home: ws / ".cockpit" / "commands",
    "project .claude": lambda ws, cockpit_home, home: ws / ".claude" / "commands",
    "user": lambda ws, cockpit_home, home: cockpit_home / "commands",  # beside config.toml
    "user ~/.claude": lambda ws, cockpit_home, home: home / ".claude" / "commands",
}


@pytest.mark.parametrize("source", FOLDERS)
async def test_a_command_from_each_folder_is_sent_expanded_and_shown_as_typed(
        served, openai_server, workspace, cockpit_home, user_home, source):
    h = served
    write(FOLDERS[source](workspace, cockpit_home, user_home), "review", REVIEW)
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "/review app.py error handling")
        await wait_idle(pilot, app, h)
        sent = "Review app.py for bugs, focusing on error.\nAll arguments: app.py error handling"
        assert openai_server.chat_requests[0].body["messages"][-1]["content"] == sent
        (message,) = app.transcript.query(UserMessage)  # the turn adopted it: one message
        assert message.text == "/review app.py error handling"
        assert message.sent == sent and "sent as:\n" + sent in str(message.render())  # what was sent, inspectable
        helped = await run(pilot, "/help", "Commands")
        assert "/review <file> [focus]" in helped.detail and f"({source}) Review a file for bugs" in helped.detail


async def test_project_wins_over_user_and_a_builtin_over_both(harness, workspace, cockpit_home, user_home):
    h = harness([{"text": "ok"}])
    write(workspace / ".cockpit" / "commands", "deploy", "Deploy from the project")
    write(cockpit_home / "commands", "deploy", "Deploy from the user")
    write(workspace / ".cockpit" / "commands", "help", "A custom help")
    async with opened(h) as (app, pilot):
        helped = await run(pilot, "/help", "Commands")
        assert "is hidden by the builtin /help" in helped.detail
        assert "(project) Deploy from the project" in helped.detail and "Deploy from the user" not in helped.detail
        await type_and_send(pilot, "/deploy")
        await wait_idle(pilot, app, h)
        assert [e.user_text for e in h.events.of(ev.TurnStarted)] == ["Deploy from the project"]


async def test_subfolders_name_commands_as_claude_code_does(harness, workspace, user_home):
    h = harness([{"text": "ok"}, {"text": "ok"}])
    folder = workspace / ".cockpit" / "commands"
    write(folder / "frontend", "component", "Make a frontend component")
    write(folder / "backend", "component", "Make a backend component")
    async with opened(h) as (app, pilot):
        helped = await run(pilot, "/help", "Commands")
        # the first folder (sorted) has the short name; the other is named by its folder
        lines = helped.detail.splitlines()
        assert any(line.startswith("/component /backend:component ") and line.endswith("(project:backend) Make a backend component")
                   for line in lines)
        assert any(line.startswith("/frontend:component ") and line.endswith("(project:frontend) Make a frontend component")
                   for line in lines)
        await type_and_send(pilot, "/frontend:component")
        await wait_idle(pilot, app, h)
        await type_and_send(pilot, "/component")
        await wait_idle(pilot, app, h, turns=2)
        assert [e.user_text for e in h.events.of(ev.TurnStarted)] == ["Make a frontend component", "Make a backend component"]


async def test_the_popup_lists_custom_commands_with_their_source(harness, workspace, user_home):
    h = harness([])
    write(workspace / ".cockpit" / "commands", "review", REVIEW)
    async with opened(h) as (app, pilot):
        app.prompt.focus()
        await pilot.press(*"/rev")
        menu = app.query_one(CompletionMenu)
        await wait_until(pilot, lambda: menu.is_open, what="the menu")
        (candidate,) = menu.candidates
        assert candidate.label == "/review <file> [focus]"
        assert candidate.help == "(project) Review a file for bugs"
        write(workspace / ".cockpit" / "commands", "revert", "Revert the last change")  # found at the next key
        await pilot.press("backspace", "v")
        await wait_until(pilot, lambda: [c.label.split()[0] for c in menu.candidates] == ["/revert", "/review"],
                         what="the new file in the menu")


def test_files_that_could_not_be_typed_are_left_out_and_edits_are_seen(tmp_path):
    from app.tui.slash.custom import CustomCommands, Folder

    folder = tmp_path / "commands"
    write(folder, "ok-name", "# First line is the description\nbody")
    write(folder, "with space", "x")
    write(folder / ".hidden", "secret", "x")
    commands = CustomCommands(lambda: [Folder(folder, "project")])
    (found,) = commands()
    assert (found.name, found.description, found.body) == ("ok-name", "First line is the description",
                                                          "# First line is the description\nbody")
    write(folder, "ok-name", "---\ndescription: Changed\n---\nnew body, longer than before")
    assert [(c.description, c.body) for c in commands()] == [("Changed", "new body, longer than before")]


async def test_a_custom_command_typed_while_the_agent_works_waits_as_typed(harness, workspace, user_home):
    write(workspace / ".cockpit" / "commands", "deploy", "Deploy $ARGUMENTS")
    write_call = {"id": "w1", "name": "write_file", "arguments": {"path": "a.txt", "content": "a\n"}}
    h = harness([{"text": "writing", "tool_calls": [write_call]}, {"text": "written"}, {"text": "deployed"}])
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "write a.txt")
        await wait_until(pilot, lambda: app.busy and app.transcript.pending_approvals, what="the approval")
        await type_and_send(pilot, "/deploy staging")
        (queued,) = [m for m in app.transcript.query(UserMessage) if m.queued]
        assert (queued.text, queued.sent) == ("/deploy staging", "Deploy staging")
        app.transcript.pending_approvals[0].focus()
        await pilot.press("y")
        await wait_idle(pilot, app, h, turns=2)
        assert [e.user_text for e in h.events.of(ev.TurnStarted)] == ["write a.txt", "Deploy staging"]
        assert [m.text for m in app.transcript.query(UserMessage)] == ["write a.txt", "/deploy staging"]
