"""The transcript's containers (a chapter of turns, a turn's group, an answer) have no border and
no content of their own: each paint takes their lines as one blank strip (Textual's ``BLANK``),
not line by line through their styles. The screen must look exactly as it does when they are
drawn line by line, in any theme and for a failed answer too; and while an answer streams, no
line of theirs is drawn line by line (before, the answer's growth made all three draw every
visible line again at every paint: half of a paint's time)."""

from __future__ import annotations

from collections import Counter

import pytest
from textual import _styles_cache
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from widgets.assistant_message import AssistantMessage
from widgets.turn_chapter import TurnChapter
from widgets.turn_group import TurnGroup
from widgets.user_message import UserMessage

CONTAINERS = (TurnChapter, TurnGroup, AssistantMessage)
PARAGRAPH = "Some words of an answer, long enough to wrap at this width and then a few more words.\n\n"


class Turns(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with TurnChapter():
                yield UserMessage("the task")
                with TurnGroup():
                    yield AssistantMessage("# Heading\n\n" + PARAGRAPH * 3 + "- a\n- b\n\n> quoted\n", call_id="one")
                    failed = AssistantMessage("half an answer", call_id="two")
                    failed.add_class("-failed")
                    yield failed
                    yield AssistantMessage("", call_id="streamed")


def screen_lines(app: App[None]) -> list[list[tuple[str, object]]]:
    """Each cell as a terminal shows it: its character and colours (a space's foreground colour shows
    only when it is underlined, struck through or reversed)."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        cells = []
        for segment in strip:
            style = segment.style
            for char in segment.text:
                if char == " " and style and not (style.underline or style.strike or style.reverse):
                    cells.append((char, style.bgcolor))
                else:
                    cells.append((char, style))
        lines.append(cells)
    return lines


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "nord"])
async def test_the_screen_is_what_drawing_them_line_by_line_draws(monkeypatch, theme):
    app = Turns()
    async with app.run_test(size=(60, 40)) as pilot:
        app.theme = theme
        await pilot.pause()
        blank = screen_lines(app)
        for cls in CONTAINERS:
            monkeypatch.setattr(cls, "BLANK", False)
        for widget in app.query("*"):
            widget.refresh()
        await pilot.pause()
        assert screen_lines(app) == blank


async def test_a_streamed_answer_draws_none_of_their_lines_one_by_one(monkeypatch):
    drawn: Counter[str] = Counter()
    original = _styles_cache.StylesCache.render_widget

    def render_widget(self, widget, crop):
        drawn[type(widget).__name__] += 1
        return original(self, widget, crop)

    app = Turns()
    async with app.run_test(size=(60, 40)) as pilot:
        monkeypatch.setattr(_styles_cache.StylesCache, "render_widget", render_widget)
        streamed = app.query(AssistantMessage).last()
        for _ in range(6):
            await streamed.append(PARAGRAPH)
            app.query_one(VerticalScroll).scroll_end(animate=False)
            await pilot.pause()
        assert drawn["MarkdownParagraph"] > 0  # the paints did happen, and drew the new text
        assert {name: drawn[name] for name in ("TurnChapter", "TurnGroup", "AssistantMessage")} == {
            "TurnChapter": 0, "TurnGroup": 0, "AssistantMessage": 0}
