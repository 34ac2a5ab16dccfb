"""Ctrl+T focuses the Context budget list (so d / t act on what is highlighted there), again goes back;
Ctrl+G returns to the prompt; on a narrow terminal Ctrl+T brings the folded side column back."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import wait_open, wait_until
from tests.tui.helpers import resumed_synthetic_app


async def test_ctrl_t_focuses_the_budget_list_and_back(harness, warm_imports):
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes, what="the restored panes")
        assert app.focused is app.prompt
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList), what="the budget list focused")
        assert app.focused.id == "top" and app.side.has_focus_in("context")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="back to the prompt")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList))
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="ctrl+g: the prompt")


async def test_ctrl_t_shows_the_folded_column_on_a_narrow_terminal(harness, warm_imports):
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes, what="the restored panes")
        assert not app.side.display
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList), what="the budget list focused")
        assert app.side.display


async def test_the_focus_keys_are_remapped_from_the_config(harness, warm_imports):
    app = resumed_synthetic_app(harness, keymap={"focus-budget": "f4", "focus-prompt": "f5"})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes, what="the restored panes")
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList), what="f4: the budget list")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="f5: the prompt")
