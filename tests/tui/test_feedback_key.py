"""The feedback prompt's hint tells the truth: the key it names goes there (and follows a remap)."""

from __future__ import annotations

from textual.widgets import Static

from app.tui.live_panes import FeedbackSlot
from tests.tui.conftest import wait_until
from tests.tui_live.test_live_panes import make_app, send
from widgets.feedback_prompt import FeedbackPrompt


def _hint(prompt: FeedbackPrompt) -> str:
    return str(prompt.query_one(".feedback-prompt--hint", Static).render())


async def _asked(pilot, app, events) -> FeedbackPrompt:
    """One task done; until its sampled feedback prompt is on screen."""
    await send(pilot, app, "do it", events, 1)
    await wait_until(pilot, lambda: app.query(FeedbackSlot), what="the feedback prompt")
    return app.query_one(FeedbackPrompt)


async def test_the_named_key_goes_to_the_prompt_and_answers_it(workspace, tmp_path, write_script):
    model = write_script([{"text": "All done."}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db", feedback_rate=1.0)
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = await _asked(pilot, app, events)
        assert _hint(prompt) == "Ctrl+F, then"
        assert app.focused is app.prompt  # it never takes the keys by itself
        await pilot.press("ctrl+f")
        assert app.focused is prompt
        await pilot.press("y", "enter")
        await wait_until(pilot, lambda: any(e.type == "feedback_answered" for e in events), what="the answer")
        await wait_until(pilot, lambda: not app.query(FeedbackSlot), what="the prompt to go")
        assert app.focused is app.prompt  # back where the key was pressed
        await pilot.press("ctrl+f")  # nothing waiting: it says so
        assert any("No feedback prompt is waiting" in n.message for n in app._notifications)
    answered = [e for e in events if e.type == "feedback_answered"][0]
    assert answered.rating == "up" and answered.source == "solicited"


async def test_a_remapped_key_is_the_one_the_hint_names(workspace, tmp_path, write_script):
    model = write_script([{"text": "All done."}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db", feedback_rate=1.0)
    app.set_keymap({"answer-feedback": "f9"})
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = await _asked(pilot, app, events)
        assert _hint(prompt) == "F9, then"
        await pilot.press("f9")
        assert app.focused is prompt
