"""The focus is never lost: a hidden or removed widget hands it to the prompt, Esc with nothing to
stop leads back to it, and the /feedback comment gives it back once sent."""

from __future__ import annotations

from textual.widgets import OptionList

from app.tui.live_panes import FeedbackSlot
from tests.tui.conftest import type_and_send, wait_open, wait_until
from tests.tui.helpers import resumed_synthetic_app
from tests.tui_live.test_live_panes import make_app, send
from widgets.feedback_prompt import FeedbackPrompt


async def _budget_focused(pilot, app) -> None:
    await wait_open(pilot, app)
    await wait_until(pilot, lambda: app.side.panes, what="the restored panes")
    await pilot.press("ctrl+t")
    await wait_until(pilot, lambda: isinstance(app.focused, OptionList), what="the budget list focused")


async def test_hiding_the_column_with_the_focus_in_it_gives_the_focus_to_the_prompt(harness, warm_imports):
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(80, 24)) as pilot:
        await _budget_focused(pilot, app)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="the prompt focused")
        assert not app.side.display
        await pilot.press("h", "i")
        assert app.prompt.text == "hi"  # nothing typed is lost


async def test_tab_reaches_the_prompt_from_the_budget_list(harness, warm_imports):
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(120, 40)) as pilot:
        await _budget_focused(pilot, app)
        for _ in range(len(app.screen.focus_chain)):
            if app.focused is app.prompt:
                break
            await pilot.press("tab")
        assert app.focused is app.prompt


async def test_esc_with_no_turn_running_leads_from_the_budget_list_back_to_the_prompt(harness, warm_imports):
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(120, 40)) as pilot:
        await _budget_focused(pilot, app)
        assert not app.busy
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="esc: the prompt")


async def test_after_a_feedback_comment_the_next_key_goes_to_the_prompt(workspace, tmp_path, write_script):
    model = write_script([{"text": "All done."}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "do it", events, 1)
        await type_and_send(pilot, "/feedback")
        await wait_until(pilot, lambda: isinstance(app.focused, FeedbackPrompt), what="the volunteered prompt")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.query_one(FeedbackPrompt).comment_input.has_focus, what="the comment")
        await pilot.press("b", "a", "d", "enter")
        await wait_until(pilot, lambda: any(e.type == "feedback_answered" for e in events), what="the answer")
        await wait_until(pilot, lambda: not app.query(FeedbackSlot), what="the prompt to go")
        await wait_until(pilot, lambda: app.focused is app.prompt, what="the prompt focused")
        await pilot.press("x")
        assert app.prompt.text == "x"
    answered = [e for e in events if e.type == "feedback_answered"][0]
    assert (answered.rating, answered.comment, answered.source) == ("down", "bad", "volunteered")


async def test_typing_into_the_budget_list_goes_to_the_prompt_and_fires_none_of_its_keys(
    harness, warm_imports, monkeypatch
):
    """``!git status --short``: ``!`` is none of the list's keys, so it and the rest go to the prompt;
    ``o d t`` in one burst: the ``d`` and ``t`` that follow the deliberate ``o`` are typing."""
    from app.tui import side_column

    monkeypatch.setattr(side_column, "BURST_S", 3600.0)  # every key of a test is in one burst, however slow
    app = resumed_synthetic_app(harness)
    actions: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _budget_focused(pilot, app)
        app.panes.item_action = lambda action, item_id: actions.append(action)
        assert app.side.slot("context").border_subtitle == "^g / esc: back to the prompt"
        await pilot.press(*"!git status --short")
        await wait_until(pilot, lambda: app.prompt.text == "!git status --short", what="the text in the prompt")
        assert app.focused is app.prompt and actions == []
        assert app.side.slot("context").border_subtitle == ""
        app.prompt.text = ""
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList), what="the budget list again")
        app.side.last_key_at = float("-inf")  # a pause: the next key is deliberate
        await pilot.press("o", "d", "t")
        await wait_until(pilot, lambda: app.prompt.text == "dt", what="the burst in the prompt")
        assert actions == ["open"]
