"""The prompt's "@" completion (the workspace's files, fuzzy), @mentions attached to a task, and
``!command`` run through the approval prompt -- in the app, with Pilot."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.transcript_view import RUN_BY_USER
from app.tui.mention_completion import MentionSource
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.completion_menu import CompletionMenu
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
from widgets.user_message import UserMessage


def menu(app) -> CompletionMenu:
    return app.query_one(CompletionMenu)


def labels(app) -> list[str]:
    return [c.label for c in menu(app).candidates]


async def type_(pilot, text: str) -> None:
    pilot.app.prompt.focus()
    await pilot.press(*text)


def project(workspace) -> None:
    (workspace / "src" / "agent").mkdir(parents=True)
    (workspace / "src" / "agent" / "loop.py").write_text("loop = 1\n")
    (workspace / "src" / "app.py").write_text("app = 1\n")
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "calc_generated.py").write_text("x\n")
    (workspace / ".gitignore").write_text("build/\n")


async def test_at_completes_files_fuzzily_and_a_folder_keeps_completing(harness, workspace):
    project(workspace)
    h = harness([])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_(pilot, "explain @calc")
        await wait_until(pilot, lambda: menu(app).is_open and labels(app) == ["calc.py"],
                         what="calc.py alone (build/ is ignored)")
        await pilot.press("tab")
        assert app.prompt.text == "explain @calc.py "

        await type_(pilot, "@sag")
        await wait_until(pilot, lambda: menu(app).is_open and labels(app)[:1] == ["src/agent/"], what="src/agent/")
        await pilot.press("tab")
        assert app.prompt.text == "explain @calc.py @src/agent/"
        await wait_until(pilot, lambda: menu(app).is_open and labels(app) == ["src/agent/loop.py"],
                         what="the folder's files")
        await pilot.press("tab")
        assert app.prompt.text == "explain @calc.py @src/agent/loop.py "


def test_the_source_answers_nothing_without_a_session(tmp_path) -> None:
    assert MentionSource(lambda: None).candidates("a", 10) == []
    (tmp_path / "a b.txt").write_text("x")
    (only,) = MentionSource(lambda: tmp_path).candidates("ab", 10)
    assert only.insert == '@"a b.txt" '  # a path with a space is quoted


async def test_a_mentioned_file_is_attached_and_shown_under_the_task(harness, workspace):
    project(workspace)
    h = harness([{"text": "It subtracts."}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "why does @calc.py subtract?")
        await wait_idle(pilot, app, h)
        blocks = list(app.transcript.query(UserMessage))
        assert [b.text for b in blocks] == ["why does @calc.py subtract?"]
        lines = [n.message for n in app.transcript.query(NoticeBlock)]
        assert "@calc.py attached · — tok" in lines  # this harness has no context budget: unknown, not 0
    sent = [m for m in h.sessions[-1].agent.messages if m["role"] == "user"]
    assert "def add(a, b):" in sent[1]["content"]


async def test_a_bang_command_asks_runs_and_shows_its_block_without_a_model_call(harness, workspace):
    h = harness([])  # no model turn scripted: a model call would fail the test
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "!echo hi > made.txt")
        await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the approval prompt")
        assert not (workspace / "made.txt").exists()
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.busy and h.events.of(ev.ToolCallFinished), what="the command to end")
        assert (workspace / "made.txt").read_text() == "hi\n"
        (block,) = app.transcript.query(ToolCallBlock)
        assert block.status == "ok" and block.note == RUN_BY_USER and not block.collapsed  # its output shows
        assert [b.text for b in app.transcript.query(UserMessage)] == ["!echo hi > made.txt"]  # shown once
        assert not h.events.of(ev.ModelCallStarted)
        assert app.prompt.has_focus and not app.busy


async def test_a_denied_bang_command_runs_nothing(harness, workspace):
    h = harness([])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "!touch never.txt")
        await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the approval prompt")
        await pilot.press("n")
        await wait_until(pilot, lambda: h.events.of(ev.ToolCallFinished), what="the denial")
        await wait_until(pilot, lambda: not app.busy, what="the app to be idle")
        assert not (workspace / "never.txt").exists()
        assert app.query_one(ToolCallBlock).status == "denied"
