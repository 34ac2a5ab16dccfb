"""Pane updates lay the screen out again only when a height changes."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from widgets.relayout import update_static


class Panes(App):
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("one\ntwo", id="auto")
            yield Static("fixed", id="fixed")
            yield Static("below", id="below")

    def on_mount(self) -> None:
        self.query_one("#fixed").styles.height = 3


def _count_layouts(monkeypatch) -> list[int]:
    """Counts Textual's screen layout passes (the expensive part)."""
    from textual.screen import Screen

    passes = [0]
    original = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        passes[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return passes


async def test_same_height_repaints_without_a_layout_and_a_new_height_relays_out(monkeypatch):
    passes = _count_layouts(monkeypatch)
    app = Panes()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        auto, fixed, below = (app.query_one(f"#{name}", Static) for name in ("auto", "fixed", "below"))
        before = passes[0]

        update_static(auto, "uno\ndos")  # same two lines
        update_static(fixed, "one\ntwo\nthree\nfour")  # a fixed height never depends on the content
        await pilot.pause()
        assert passes[0] == before
        assert "dos" in str(auto.render()) and auto.size.height == 2

        update_static(auto, "a\nb\nc\nd")  # taller: the widgets below move down
        await pilot.pause()
        assert auto.size.height == 4
        assert below.region.y == auto.region.y + 4 + 3


async def test_a_line_that_wraps_at_the_current_width_counts_as_taller():
    app = Panes()
    async with app.run_test(size=(20, 12)) as pilot:
        await pilot.pause()
        auto = app.query_one("#auto", Static)
        update_static(auto, "a line long enough to wrap twice at twenty")
        await pilot.pause()
        assert auto.size.height == 3


def test_same_content_compares_what_is_drawn():
    from rich.text import Text
    from textual.content import Content

    from widgets.relayout import same_content

    assert same_content("a", "a") and not same_content("a", "b")
    assert same_content(Text("a", "bold"), Text("a", "bold"))
    assert not same_content(Text("a", "bold"), Text("a", "italic"))  # Rich's == leaves the Text's own style out
    assert not same_content(Text.assemble(("a", "red"), "b"), Text.assemble("a", ("b", "red")))
    assert same_content(Content.from_markup("[b]a[/b]"), Content.from_markup("[b]a[/b]"))
    assert not same_content(Content.from_markup("[b]a[/b]"), Content("a"))  # Textual's == compares the text only
    assert not same_content("a", Text("a")) and not same_content(object(), object())


async def test_the_same_content_again_repaints_nothing(monkeypatch):
    async with Panes().run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        auto = pilot.app.query_one("#auto", Static)
        repaints = []
        monkeypatch.setattr(auto, "refresh", lambda *args, **kwargs: repaints.append(kwargs))
        update_static(auto, "one\ntwo")  # what it was composed with
        assert repaints == [] and auto.content == "one\ntwo"
        update_static(auto, "uno\ndos")
        assert repaints and auto.content == "uno\ndos"
