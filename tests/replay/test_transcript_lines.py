"""The replay transcript draws line by line from strips it keeps: what it draws must be exactly what
Textual draws from the same lines as one text (segments, styles and selection offsets), at every
position, after a theme change, and while text is selected; a highlight that moves redraws no text."""

from __future__ import annotations

from textual.visual import Visual

from app.replay.synthetic import generate_session
from app.tui.replay_app import ReplayApp
from app.tui.screens import replay as replay_screen
from app.tui.screens.replay_parts import ReplayTranscript
from tests.replay.samples import T0
from tests.support.store import store_events

SESSION = "lines-0001"


async def opened(pilot, app) -> replay_screen.ReplayScreen:
    while not (isinstance(app.screen, replay_screen.ReplayScreen) and app.screen.timeline is not None):
        await pilot.pause(0.02)
    return app.screen


def differences(transcript: ReplayTranscript) -> list[int]:
    """Lines whose strip differs from Textual's own drawing of the whole text (blank lines below it aside)."""
    width, height = transcript.size
    whole = Visual.to_strips(transcript, transcript.render(), width, height, transcript.visual_style)
    bad = []
    for y in range(height):
        drawn = transcript.render_line(y)
        expected = whole[y] if y < len(whole) else None
        if (expected is None or not expected.text) and not drawn.text.strip():
            continue
        if expected is None or list(expected) != list(drawn):
            bad.append(y)
    return bad


async def test_every_line_is_what_textual_draws_of_the_whole_text(db):
    store_events(db, generate_session(SESSION, events=600, start_ts=T0))
    app = ReplayApp(db, SESSION)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot, app)
        transcript = screen.query_one(ReplayTranscript)
        for position in [*range(0, 120), *range(120, len(screen.timeline), 29)]:
            screen.go(position)
            await pilot.pause()
            assert differences(transcript) == [], position
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert differences(transcript) == []  # the kept strips were drawn again in the theme's colours


async def test_a_moving_highlight_draws_no_text_again(db, monkeypatch):
    store_events(db, generate_session(SESSION, events=600, start_ts=T0))
    app = ReplayApp(db, SESSION)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot, app)
        transcript = screen.query_one(ReplayTranscript)
        screen.go(200)
        await pilot.pause()
        drawn: list[str] = []
        original = ReplayTranscript._strip
        monkeypatch.setattr(ReplayTranscript, "_strip", lambda self, line: drawn.append(line.plain) or original(self, line))
        before = [transcript.render_line(y).text for y in range(transcript.size.height)]
        assert not drawn  # all kept
        transcript.show(transcript.entries, transcript.entries[-3].index)  # the highlight moves up two entries
        await pilot.pause()
        after = [transcript.render_line(y).text for y in range(transcript.size.height)]
        assert after != before and [t.replace("▌", " ") for t in after] == [t.replace("▌", " ") for t in before]
        assert all(set(text) <= {"▌", " "} for text in drawn)  # gutters at most (both kinds were drawn already)
        assert differences(transcript) == []
