"""Command palette entries: sessions, model, panes, export, permission mode, data folder, hooks."""

from __future__ import annotations

from textual.command import CommandList

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.assistant_message import AssistantMessage
from widgets.user_message import UserMessage

REQUIRED = {
    "New session", "Resume session…", "Change model…", "Toggle panes", "Export session",
    "Permission mode: ask", "Permission mode: accept edits", "Permission mode: yolo",
    "Open data folder", "Compact now", "Rate last task",
}


def _hits(app) -> int:
    lists = app.screen.query(CommandList)
    return lists.first().option_count if lists else 0


def _run(app, title: str) -> None:
    [command] = [c for c in app.palette.commands() if c.title == title]
    command.callback()


async def test_the_palette_lists_cockpit_commands_and_runs_them(harness):
    h = harness([])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        assert REQUIRED <= {c.title for c in app.palette.commands()}
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Permission mode: yolo")
        await wait_until(pilot, lambda: _hits(app), what="palette hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.agent.approvals.mode is PermissionMode.YOLO)
        assert app.status.permission_mode == "yolo"
        assert "YOLO" in str(app.status.status_line())


async def test_permission_mode_accept_edits_lets_writes_through(harness, workspace):
    h = harness([
        {"tool_calls": [{"id": "w", "name": "write_file", "arguments": {"path": "a.txt", "content": "a"}}]},
        {"text": "ok"},
    ])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        _run(app, "Permission mode: accept edits")
        await wait_until(pilot, lambda: app.session.agent.approvals.mode is PermissionMode.ACCEPT_EDITS)
        await type_and_send(pilot, "write a")
        await wait_idle(pilot, app, h)
        assert (workspace / "a.txt").read_text() == "a"
        assert h.events.of(ev.ApprovalResolved)[0].automatic


async def test_new_session_finishes_the_old_one_and_starts_clean(harness):
    h = harness([{"text": "first"}, {"text": "second"}], session_ids=["aaaa000000000000", "bbbb000000000000"])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "one")
        await wait_idle(pilot, app, h)
        _run(app, "New session")
        await wait_until(pilot, lambda: app.session is not None and app.session.id == "bbbb000000000000")
        assert not list(app.transcript.query(UserMessage))
        assert app.status.stats.steps == 0
        assert h.session_row("aaaa000000000000")["status"] == "completed"
        assert h.session_row("bbbb000000000000")["status"] == "running"


async def test_resume_shows_the_stored_conversation_and_continues_it(harness):
    h = harness([{"text": "the first answer"}, {"text": "the continued answer"}],
                session_ids=["aaaa000000000000", "bbbb000000000000"])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "first question")
        await wait_idle(pilot, app, h)
        _run(app, "New session")
        await wait_until(pilot, lambda: app.session is not None and app.session.id == "bbbb000000000000")

        _run(app, "Resume session…")
        await wait_until(pilot, lambda: _hits(app), what="the session picker")
        await pilot.press(*"aaaa", "enter")
        await wait_until(pilot, lambda: app.session is not None and app.session.id == "aaaa000000000000")
        assert [m.text for m in app.transcript.query(UserMessage)] == ["first question"]
        assert [m.text for m in app.transcript.query(AssistantMessage)] == ["the first answer"]

        await type_and_send(pilot, "go on")
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "the continued answer"
    stored = [r["role"] for r in h.db.query(
        "select role from messages where session_id = 'aaaa000000000000' order by idx, id")]
    assert stored == ["system", "user", "assistant", "user", "assistant"]


async def test_change_model_continues_the_conversation_with_the_new_model(harness, write_script):
    # A resumed script continues after the turns already in the conversation (one here).
    other = write_script([{"text": "(skipped)"}, {"text": "from the other model"}])
    h = harness([{"text": "from the first model"}], session_ids=["aaaa000000000000"])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "hi")
        await wait_idle(pilot, app, h)
        _run(app, "Change model…")
        await pilot.pause()
        field = app.screen.query_one("Input")
        field.value = other
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session is not None and app.session.agent.model.name == other)
        assert app.session.id == "aaaa000000000000"
        await type_and_send(pilot, "again")
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "from the other model"


async def test_export_writes_markdown_into_the_data_folder_not_the_workspace(harness, workspace, cockpit_home):
    h = harness([{"text": "exported answer"}], session_ids=["cafe000000000000"])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "something to export")
        await wait_idle(pilot, app, h)
        _run(app, "Export session")
        target = cockpit_home / "exports" / "cockpit-session-cafe0000.md"
        await wait_until(pilot, target.exists, what="the export")
        text = target.read_text()
        assert "something to export" in text and "exported answer" in text
        await wait_until(pilot, lambda: any(str(target) in str(n.message) for n in app._notifications))
        assert list(workspace.iterdir()) == []  # nothing new in the user's repository


async def test_data_folder_and_missing_panes_notify(harness, cockpit_home):
    from app.tui.panes import NoSessionPanes

    app = harness([]).app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        _run(app, "Open data folder")
        _run(app, "Compact now")
        _run(app, "Rate last task")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert str(cockpit_home) in messages
        assert "Compaction is not available in this build." in messages
        assert "Feedback is not available in this build." in messages

        calls: list[str] = []

        class Panes(NoSessionPanes):
            def compact_now(self):
                calls.append("compact")

            def rate_last_task(self):
                calls.append("feedback")

        app.panes = Panes(app)
        _run(app, "Compact now")
        _run(app, "Rate last task")
        assert calls == ["compact", "feedback"]


async def test_a_session_that_cannot_start_is_a_notice(harness):
    h = harness([])

    def broken(approver, **overrides):
        raise ValueError("workspace /nowhere is not a folder")

    from app.tui.app import CockpitApp
    from widgets.notice import NoticeBlock

    app = CockpitApp(broken, database=lambda: h.db, load_litellm=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.transcript.query(NoticeBlock))
        notice = app.transcript.query_one(NoticeBlock)
        assert notice.level == "error" and "/nowhere is not a folder" in notice.message
        await type_and_send(pilot, "anything")
        assert app.queue and not app.busy  # kept until a session opens


async def test_without_a_model_the_app_says_how_to_pick_one_and_runs_what_waited(workspace, write_script, cockpit_home):
    from app.cli import build_parser
    from app.commands.common import run_options
    from app.settings import load_settings
    from app.tui.app import CockpitApp
    from app.tui.main import LazyStore, SessionMaker
    from widgets.notice import NoticeBlock

    options = run_options(build_parser().parse_args([f"--workspace={workspace}"]))
    stores = LazyStore()
    stores.options = options
    app = CockpitApp(SessionMaker(load_settings(), options, None, stores), database=lambda: stores.get()[0], load_litellm=False)
    model = write_script([{"text": "picked and answered"}])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.transcript.query(NoticeBlock), what="the no-model notice")
        notice = app.transcript.query(NoticeBlock).first()
        assert "No model is configured" in notice.message and "Change model" in notice.message
        assert app.session is None and "no model" in str(app.status.render())
        await type_and_send(pilot, "a task typed before any model")
        assert [m.text for m in app.transcript.query(UserMessage)] == ["a task typed before any model"]
        assert "no model · 1 queued" in str(app.status.render())
        _run(app, "Change model…")
        await pilot.pause()
        assert "Pick a model" in str(app.screen.query("Static").first().render())
        app.screen.query_one("Input").value = model
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.transcript.assistant_messages and not app.busy, what="the waiting task")
        assert app.transcript.assistant_messages[-1].text == "picked and answered"
    stores.get()[0].close()
    assert load_settings().model == model
