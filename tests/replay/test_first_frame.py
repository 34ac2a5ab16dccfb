"""The first frame of a paged replay (a long session, folded behind it) is the Replay screen's own:
its footer's keys (no pane has the focus, so not the live Context budget pane's drop/truncate/
compact keys), the panes in their boxes, and the fold of the rest not yet started (the folding
thread would hold the interpreter the output thread needs to write that frame)."""

from __future__ import annotations

import pytest

from app.replay.synthetic import generate_session
from app.tui import replay_app
from app.tui.screens import replay as replay_screen
from app.tui.screens.replay import ReplayScreen
from tests.replay.test_replay_screen import opened, until, utc
from tests.support.store import store_events

SESSION = "long-first-frame"
PAGE = 97
SIZES = [(100, 30), (160, 45)]


async def first_frame(db, monkeypatch, size) -> dict:
    store_events(db, generate_session(SESSION, events=1_500, start_ts=1_767_225_600.0))
    monkeypatch.setattr(replay_screen, "READ_PAGE", PAGE)
    monkeypatch.setattr(replay_screen, "FOLD_PAGE", PAGE)
    app = replay_app.ReplayApp(db, SESSION, format_time=utc)
    seen: dict = {}
    display = app._display

    def capture(screen, renderable) -> None:
        if not seen and isinstance(screen, ReplayScreen) and screen.timeline is not None:
            seen.update(
                text="\n".join(strip.text for strip in screen._compositor.render_strips()),
                focused=screen.focused, folded=screen.timeline.folded, complete=screen.timeline.complete,
            )
        display(screen, renderable)

    app._display = capture  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        screen = await opened(pilot, app)
        await until(pilot, lambda: bool(seen), "the first frame")
        await until(pilot, lambda: screen.timeline.complete, "the whole session folded")
    return seen


@pytest.mark.parametrize("size", SIZES)
async def test_the_first_frame_shows_the_replay_keys_and_boxes_before_the_fold(db, monkeypatch, size) -> None:
    frame = await first_frame(db, monkeypatch, size)
    footer = frame["text"].splitlines()[-1]
    assert frame["focused"] is None
    assert "Step" in footer and "Back" in footer and "Drop result" not in footer and "Compact now" not in footer
    for title in ("╭─ Context budget", "╭─ Retries", "╭─ Feedback"):
        assert title in frame["text"], title
    assert not frame["complete"] and frame["folded"] <= PAGE  # only what the first frame shows was folded
