import pytest
from textual.widgets import Input

from app.agent.events.feedback import FeedbackSampled
from widgets.feedback_prompt import FeedbackPrompt

from .helpers import project
from .prompt_app import TASK_ID, PromptApp

SIZE = (80, 12)


def _asked(app: PromptApp) -> None:
    """The decision that showed the prompt, as the collector would have stored it."""
    event = FeedbackSampled(task_id=TASK_ID, turn=3, pi=0.1, u=0.04, shown=True, category="edit")
    event.session_id, event.seq, event.ts = "sess-1", 100, 999.0
    project(app.db, event)


def _answers(app: PromptApp) -> list[tuple]:
    return [(a["task_id"], a["source"], a["rating"], a["comment"]) for a in app.db["feedback_answers"].rows]


async def test_typing_in_the_chat_input_never_answers_the_prompt():
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.query_one("#chat", Input)
        chat.focus()
        await pilot.press(*"yes no skip", "escape", "y", "n", "s", "enter")
        await pilot.pause()
        assert app.messages == [] and _answers(app) == []
        assert len(app.query(FeedbackPrompt)) == 1  # still there, unanswered
        assert chat.value == "yes no skipyns"  # the keys went to the input
        # a direct call without focus does nothing either
        app.query_one(FeedbackPrompt).action_rate("up")
        await pilot.pause()
        assert app.messages == []


@pytest.mark.parametrize(
    "keys, rating, comment",
    [
        (["y", *"clean diff", "enter"], "up", "clean diff"),
        (["n", *"wrong file", "enter"], "down", "wrong file"),
        (["n", "enter"], "down", ""),
        (["y", "escape"], "up", ""),  # Esc in the comment field sends without a comment
        (["s"], "skip", ""),  # skip is an answer, no comment asked
    ],
)
async def test_y_n_s_record_the_right_rows(keys, rating, comment):
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        _asked(app)
        app.query_one(FeedbackPrompt).focus()
        await pilot.press(*keys)
        await pilot.pause()
        assert _answers(app) == [(TASK_ID, "solicited", rating, comment)]
        row = app.db["feedback_tasks"].get(TASK_ID)
        assert (row["response"], row["rating"], row["comment"]) == ("answered", rating, comment)
        assert len(app.query(FeedbackPrompt)) == 0  # gone after answering


async def test_keys_typed_into_the_comment_do_not_rate_again():
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FeedbackPrompt).focus()
        await pilot.press("n", "y", "s", "n", "enter")
        await pilot.pause()
        assert _answers(app) == [(TASK_ID, "solicited", "down", "ysn")]


async def test_leaving_the_comment_field_sends_what_was_typed():
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FeedbackPrompt).focus()
        await pilot.press("y", *"nice")
        app.query_one("#chat", Input).focus()
        await pilot.pause()
        assert _answers(app) == [(TASK_ID, "solicited", "up", "nice")]


async def test_escape_dismisses_without_an_answer():
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        _asked(app)
        app.query_one(FeedbackPrompt).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert app.messages == ["dismissed"] and _answers(app) == []
        row = app.db["feedback_tasks"].get(TASK_ID)
        assert (row["response"], row["rating"], row["dismiss_reason"]) == ("dismissed", None, "dismissed")
        assert len(app.query(FeedbackPrompt)) == 0


async def test_a_volunteered_rating_is_kept_apart():
    app = PromptApp(source="volunteered")
    async with app.run_test(size=SIZE) as pilot:
        _asked(app)
        prompt = app.query_one(FeedbackPrompt)
        assert "Rate the last task" in str(prompt.query_one(".feedback-prompt--question").render())
        prompt.focus()
        await pilot.press("n", *"too slow", "enter")
        await pilot.pause()
        assert _answers(app) == [(TASK_ID, "volunteered", "down", "too slow")]
        assert app.db["feedback_tasks"].get(TASK_ID)["response"] is None  # the solicited answer is still missing


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source"):
        FeedbackPrompt("s:1", source="guessed")


async def test_the_prompt_is_reachable_with_tab():
    app = PromptApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#chat", Input).focus()
        await pilot.press("tab")
        assert app.focused is app.query_one(FeedbackPrompt)


def test_snapshot_prompt_waiting(snap_compare):
    assert snap_compare(PromptApp(), terminal_size=SIZE)


def test_snapshot_prompt_focused(snap_compare):
    async def focus(pilot):
        pilot.app.query_one(FeedbackPrompt).focus()
        await pilot.pause()

    assert snap_compare(PromptApp(), terminal_size=SIZE, run_before=focus)


def test_snapshot_prompt_comment(snap_compare):
    async def comment(pilot):
        pilot.app.query_one(FeedbackPrompt).focus()
        await pilot.press("n", *"it edited the wrong file")
        await pilot.pause()

    assert snap_compare(PromptApp(), terminal_size=SIZE, run_before=comment)
