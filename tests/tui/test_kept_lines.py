"""KeptLinesStatic draws exactly what Static draws of the same content (segments, styles, selection
offsets, wrapped lines, blank lines), after updates that add a line at the top, after a theme
change; and an update that adds one line draws only that line."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult
from textual.content import Content
from textual.visual import Visual

from widgets.kept_lines import KeptLinesStatic


class One(App):
    def compose(self) -> ComposeResult:
        yield KeptLinesStatic(id="log")


def log_text(rows: list[str]) -> Content:
    return Content.from_markup("[b]Attempts[/b] [$text-muted](newest first)[/]\n" + "\n".join(rows))


def row(n: int, rng: random.Random) -> str:
    outcome = rng.choice(["[$success]ok[/]", "[$warning]retry[/]", "[$error]rate limited[/]", ""])
    target = " ".join(rng.choice(["anthropic/claude", "gpt-4o", "a-very-long-target-name" * 3, "x"]) for _ in range(3))
    return f" 00:{n:02d}:00 {outcome} {n}/3 [$text-muted]{target}[/]"


def differences(widget: KeptLinesStatic) -> list[int]:
    width, height = widget.size
    whole = Visual.to_strips(widget, widget._render(), width, height, widget.visual_style)
    assert len(whole) == height  # the height Static computed for the content
    return [y for y in range(height) if list(whole[y]) != list(widget.render_line(y))]


async def test_it_draws_what_static_draws_through_updates_and_a_theme_change(monkeypatch):
    rng = random.Random(7)
    app = One()
    async with app.run_test(size=(50, 80)) as pilot:
        log = app.query_one(KeptLinesStatic)
        rows: list[str] = []
        for n in range(40):
            rows.insert(0, row(n, rng) if n % 9 else "")  # some blank lines too
            log.update(log_text(rows[:30]))
            await pilot.pause()
            assert differences(log) == [], n
        drawn: list[str] = []
        original = Visual.to_strips
        monkeypatch.setattr(Visual, "to_strips", classmethod(
            lambda cls, widget, visual, *a, **k: drawn.append(visual.plain) or original(widget, visual, *a, **k)))
        rows.insert(0, " 00:59:00 ok 1/3 new")
        log.update(log_text(rows[:30]))
        await pilot.pause()
        assert differences(log) == []
        assert [d for d in drawn if "\n" not in d] == [" 00:59:00 ok 1/3 new"]  # (the whole text: the check's own)
        monkeypatch.setattr(Visual, "to_strips", original)
        app.theme = "nord" if app.theme != "nord" else "textual-light"
        await pilot.pause()
        assert differences(log) == []  # drawn again in the theme's colours
