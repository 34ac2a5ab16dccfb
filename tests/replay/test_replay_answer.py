"""Replay shows an answer as the live transcript does: Markdown rendered, and the final answer whole
(the view scrolls back to its first line); the side column narrows on an 80-column terminal."""

from __future__ import annotations

from app.agent.events import core as ev
from app.tui.replay_app import ReplayApp
from app.tui.screens.replay_parts import ReplayTranscript
from app.tui.side_column import NARROW_PANES_WIDTH, default_width
from tests.replay.test_replay_screen import opened, utc
from tests.support.store import store_events

SESSION = "answer-0001"
ANSWER = "\n".join(
    ["## What changed", "", "The parser now accepts **empty input**.", ""]
    + [f"- step {n} of the fix" for n in range(1, 61)]
    + ["", "```python", "parse('')  # []", "```", "", "The last line of the answer."]
)


def store_answer(db) -> None:
    events: list[ev.Event] = [
        ev.SessionStarted(workspace="/w", model="m"),
        ev.TurnStarted(turn=1, user_text="fix the parser"),
        ev.MessageAppended(index=0, message={"role": "user", "content": "fix the parser"}, turn=1),
        ev.ModelCallStarted(call_id="c1", turn=1, step=1, model="m"),
        ev.ModelCallFinished(call_id="c1", turn=1, step=1, model="m", text=ANSWER,
                             usage={"prompt_tokens": 100, "completion_tokens": 50}),
        ev.TurnFinished(turn=1, steps=1, outcome="completed"),
        ev.SessionFinished(status=ev.SessionStatus.COMPLETED),
    ]
    for seq, event in enumerate(events, 1):
        event.session_id, event.seq, event.ts = SESSION, seq, 1_700_000_000.0 + seq
    store_events(db, events)


async def test_the_final_answer_is_markdown_and_whole(db):
    store_answer(db)
    app = ReplayApp(db, SESSION, format_time=utc)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("end")
        await pilot.pause()
        transcript = screen.query_one(ReplayTranscript)
        bottom = transcript.visible_text()
        assert "The last line of the answer." in bottom
        assert "**" not in bottom and "```" not in bottom  # rendered, not raw
        for _ in range(20):  # Page Up until the top of the answer
            await pilot.press("pageup")
        top = transcript.visible_text()
        assert "What changed" in top and "## What changed" not in top
        assert "empty input" in top and "**empty input**" not in top
        answer = next(e for e in transcript.entries if e.kind == "assistant")
        whole = "\n".join(line.plain for line in transcript._lines(answer, 96))
        assert all(f"step {n} of the fix" in whole for n in range(1, 61))  # not one line cut


async def test_the_side_column_folds_below_100_columns_and_shows_narrow(db):
    store_answer(db)
    app = ReplayApp(db, SESSION, format_time=utc)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        side = screen.query_one("#replay-side")
        await pilot.pause()
        assert not side.display  # folded, as on the main screen
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert side.display and side.outer_size.width == NARROW_PANES_WIDTH
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert side.outer_size.width == default_width(160)
