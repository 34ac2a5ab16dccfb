"""The side column and its pane contract, keys from the config, the theme."""

from __future__ import annotations

from textual.widgets import Static

from app.agent.events import core as ev
from app.tui.keys import APP_BINDINGS, keymap_from_settings
from app.tui.side_column import PANES_STEP, PANES_WIDTH, SLOTS
from tests.tui.conftest import type_and_send, wait_idle, wait_open


class RecordingPane(Static):
    def __init__(self) -> None:
        super().__init__("recording")
        self.seen: list[str] = []

    def apply(self, event: ev.Event) -> None:
        self.seen.append(event.type)


class AsyncPane(Static):
    def __init__(self) -> None:
        super().__init__("async")
        self.seen: list[str] = []

    async def apply(self, event: ev.Event) -> None:
        self.seen.append(event.type)


class BrokenPane(Static):
    calls = 0

    def apply(self, event: ev.Event) -> None:
        self.calls += 1
        raise RuntimeError("pane bug")


async def test_the_side_column_has_three_slots_with_placeholders(harness):
    app = harness([]).app()
    async with app.run_test(size=(120, 40)):
        for slot, (title, placeholder) in SLOTS.items():
            container = app.query_one(f"#pane-{slot}")
            assert container.border_title == title
            assert str(container.query_one(".pane-placeholder").render()) == placeholder


async def test_mounted_panes_receive_every_event_and_a_broken_pane_is_contained(harness):
    h = harness([{"text": "hi"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        recording, asynchronous, broken = RecordingPane(), AsyncPane(), BrokenPane()
        await app.mount_pane("context", recording)
        await app.mount_pane("#pane-retries", asynchronous)
        await app.mount_pane("feedback", broken)
        assert not app.query_one("#pane-context").query(".pane-placeholder")
        await type_and_send(pilot, "hello")
        await wait_idle(pilot, app, h)
        types = h.events.types()
        expected = [t for t in types[types.index("turn_started"):] if t != "text_delta"]
        assert [t for t in recording.seen if t != "text_delta"] == expected
        assert "text_delta" in recording.seen and recording.seen[-1] == "turn_finished"
        assert asynchronous.seen == recording.seen
        assert broken.calls == len(recording.seen)  # still called, never fatal
        assert sum("pane bug" in str(n.message) for n in app._notifications) == 1
        assert app.is_running


async def test_panes_toggle_resize_and_collapse_on_narrow_terminals(harness):
    app = harness([]).app()
    async with app.run_test(size=(120, 40)) as pilot:
        side = app.query_one("#side")
        assert side.display
        await pilot.press("ctrl+b")
        assert not side.display
        await pilot.press("ctrl+b")
        assert side.display

        await pilot.press("alt+left")
        await pilot.pause()
        assert side.outer_size.width == PANES_WIDTH[1] + PANES_STEP
        await pilot.press("alt+right", "alt+right")
        await pilot.pause()
        assert side.outer_size.width == PANES_WIDTH[1] - PANES_STEP
        for _ in range(40):
            await pilot.press("alt+right")
        assert app.side.width_cells == PANES_WIDTH[0]

        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert not side.display  # collapsed by itself
        await pilot.press("ctrl+b")
        assert side.display  # and can still be opened
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert side.display


async def test_keys_are_remapped_from_the_config(harness):
    keymap, problems = keymap_from_settings({"toggle-panes": "f5", "nonsense": "x", "interrupt": 3})
    assert keymap == {"toggle-panes": "f5"}
    assert len(problems) == 2 and "nonsense" in problems[0]
    app = harness([]).app(keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        assert app.query_one("#side").display  # the old key no longer toggles
        await pilot.press("f5")
        assert not app.query_one("#side").display


def test_every_binding_has_an_id_and_a_tooltip():
    from widgets.approval import ApprovalPrompt
    from widgets.prompt_input import PromptInput

    for binding in [*APP_BINDINGS, *ApprovalPrompt.BINDINGS, *PromptInput.BINDINGS]:
        assert binding.id and binding.tooltip, binding


async def test_the_chosen_theme_is_saved(harness):
    saved: list[str] = []
    app = harness([]).app(theme="nord", save_theme=saved.append)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "nord"
        await pilot.pause()
        assert saved == []  # starting with the configured theme saves nothing
        app.theme = "gruvbox"
        await pilot.pause()
        assert saved == ["gruvbox"]


async def test_an_unknown_theme_is_a_notice_not_a_crash(harness):
    app = harness([]).app(theme="no-such-theme")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("no-such-theme" in str(n.message) for n in app._notifications)


async def test_session_panes_are_mounted_before_the_first_event_for_every_session(harness):
    from app.tui.panes import NoSessionPanes

    h = harness([{"text": "hi"}], session_ids=["aaaa000000000000", "bbbb000000000000"])
    opened: list[str] = []
    panes: list[RecordingPane] = []

    class Recording(NoSessionPanes):
        def __init__(self, app_, session):
            super().__init__(app_)
            opened.append(session.id)
            panes.append(RecordingPane())

        def widgets(self):
            return {"context": panes[-1]}

    app = h.app(session_panes=Recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "hello")
        await wait_idle(pilot, app, h)
        assert opened == ["aaaa000000000000"]
        assert panes[0].seen[0] == "session_started"  # mounted before the session's first event

        app.palette.new_session()
        from tests.tui.conftest import wait_until

        await wait_until(pilot, lambda: opened == ["aaaa000000000000", "bbbb000000000000"] and panes[1].seen)
        assert panes[1].seen[0] == "session_started"
        assert "session_finished" not in panes[1].seen  # the first session's last events stay with it
        assert app.query_one("#pane-context").pane is panes[1]
