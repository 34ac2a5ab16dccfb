"""An answer's blocks are arranged against a height of 0 (``AssistantMessage.arrange``), so a
streamed answer does not measure every block again on each frame: the blocks must land exactly
where Textual's own arrangement puts them, streamed or not."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets.markdown import MarkdownBlock

from tests.tui.test_relayout import _count_layouts
from widgets.assistant_message import AssistantMessage

ANSWER = """# A heading

A paragraph with **bold**, `code` and a [link](https://example.com), long enough to wrap
across more than one line of the transcript at this width, and then some more words.

## Lists

- one
- two
  - nested
1. first
2. second

> a quote
> over two lines

```python
def f(x):
    return x * 2
```

| a | b |
|---|---|
| 1 | 2 |

---

The end.
"""


class Answers(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield AssistantMessage(ANSWER, call_id="whole")
            yield AssistantMessage("", call_id="streamed")


def placements(message: AssistantMessage) -> list[tuple[str, tuple[int, int, int, int]]]:
    return [(type(block).__name__, tuple(block.region - message.region.offset)) for block in message.query(MarkdownBlock)]


async def test_blocks_land_where_textual_puts_them(monkeypatch) -> None:
    app = Answers()
    async with app.run_test(size=(70, 60)) as pilot:
        whole, streamed = app.query(AssistantMessage)
        for start in range(0, len(ANSWER), 7):
            await streamed.write(ANSWER[start : start + 7])
            await pilot.pause()
        await streamed.end()
        await pilot.pause()
        assert whole._heights_own()  # the fast path is the one taken
        ours = placements(whole)
        assert placements(streamed) == ours

        monkeypatch.setattr(AssistantMessage, "_heights_own", lambda self: False)  # Textual's own arrangement
        for message in (whole, streamed):
            message.refresh(layout=True)
        await pilot.pause()
        assert placements(whole) == ours
        assert placements(streamed) == ours


async def test_a_block_whose_height_depends_on_the_container_takes_textual_s_path() -> None:
    app = Answers()
    async with app.run_test(size=(70, 60)) as pilot:
        whole = app.query(AssistantMessage).first()
        assert whole._heights_own()
        whole.query(MarkdownBlock).last().styles.min_height = "10%"
        await pilot.pause()
        assert not whole._heights_own()


def _textual_only(monkeypatch) -> None:
    """Textual's own blocks and sizes: no :class:`~widgets.laid_out.SizedByLayout`, Textual's ``mount_all``."""
    from textual.widget import Widget
    from textual.widgets import Markdown

    from widgets.laid_out import SizedByLayout

    monkeypatch.setattr(AssistantMessage, "get_block_class", Markdown.get_block_class)
    monkeypatch.setattr(SizedByLayout, "_size_updated", Widget._size_updated)
    monkeypatch.setattr(AssistantMessage, "mount_all", Widget.mount_all)


async def _streamed(pilot, app: Answers, step: int = 40) -> tuple[list[tuple[str, tuple[int, int, int, int]]], list[str]]:
    """ANSWER streamed ``step`` characters at a time into the second answer: its blocks' places and the screen."""
    streamed = app.query(AssistantMessage).last()
    for start in range(0, len(ANSWER), step):
        await streamed.write(ANSWER[start : start + step])
        await pilot.pause()
    await streamed.end()
    await pilot.pause()
    return placements(streamed), [strip.text for strip in app.screen._compositor.render_strips()]


async def test_a_streamed_answer_draws_as_with_textual_s_own_blocks(monkeypatch) -> None:
    """The blocks keep Textual's CSS (their class names) and land where Textual alone puts them."""
    app = Answers()
    async with app.run_test(size=(70, 60)) as pilot:
        ours = await _streamed(pilot, app)
        block = app.query(AssistantMessage).last().query(MarkdownBlock).first()
        assert type(block).__name__ == "MarkdownH1" and block.styles.height is not None and block.styles.height.is_auto
    _textual_only(monkeypatch)
    app = Answers()
    async with app.run_test(size=(70, 60)) as pilot:
        assert await _streamed(pilot, app) == ours


async def test_a_drain_that_adds_blocks_lays_the_screen_out_once(monkeypatch) -> None:
    """A new block's size, and the answer's, come from the layout pass; they ask for no second one
    (Textual's own blocks asked for it: that pass changed nothing and cost as much)."""

    async def passes_for_a_new_paragraph() -> int:
        app = Answers()
        async with app.run_test(size=(70, 60)) as pilot:
            streamed = app.query(AssistantMessage).last()
            await streamed.write("A first paragraph.\n\n")
            for _ in range(3):
                await pilot.pause()
            before = passes[0]
            await streamed.write("A second paragraph.\n\nAnd a third one.\n\n")
            for _ in range(3):
                await pilot.pause()
            assert [str(block._content) for block in streamed.query(MarkdownBlock)] == [
                "A first paragraph.", "A second paragraph.", "And a third one."]
            return passes[0] - before

    passes = _count_layouts(monkeypatch)
    assert await passes_for_a_new_paragraph() == 1
    _textual_only(monkeypatch)
    assert await passes_for_a_new_paragraph() >= 2


async def test_a_streamed_answer_is_arranged_as_textual_arranges_it_from_the_top(monkeypatch) -> None:
    """Each arrangement built from the previous one (``widgets.stacked_blocks``) is Textual's own."""
    from textual._arrange import arrange

    from widgets.stacked_blocks import StackedBlocks

    from textual.layouts.vertical import VerticalLayout

    checked, tails = [], []
    original, layout = StackedBlocks.arrange, VerticalLayout.arrange

    def spied(self, parent, children, size, greedy=True):
        if isinstance(parent, AssistantMessage):
            tails.append(len(children) < len(parent.displayed_children))
        return layout(self, parent, children, size, greedy)

    def compared(self, parent, size, optimal):
        ours = original(self, parent, size, optimal)
        textual = arrange(parent, list(parent.displayed_children), size, parent.screen.size, optimal=optimal)
        assert [(p.widget, p.region, p.margin) for p in ours.placements] == [
            (p.widget, p.region, p.margin) for p in textual.placements]
        assert ours.widgets == textual.widgets and ours.total_region == textual.total_region
        assert ours.spatial_map.total_region == textual.spatial_map.total_region
        checked.append(ours)
        return ours

    monkeypatch.setattr(StackedBlocks, "arrange", compared)
    monkeypatch.setattr(VerticalLayout, "arrange", spied)
    app = Answers()
    async with app.run_test(size=(70, 60)) as pilot:
        await _streamed(pilot, app, step=5)
    assert len(checked) > 40 and sum(tails) > 20  # most were built from the one before: only their last blocks arranged


class Turns(App[None]):
    """A transcript's nesting: a chapter of turns, each a task line and a group of blocks."""

    def compose(self) -> ComposeResult:
        from textual.widgets import Static

        from widgets.turn_chapter import TurnChapter
        from widgets.turn_group import TurnGroup
        from widgets.user_message import UserMessage

        with VerticalScroll():
            with TurnChapter():
                yield UserMessage("the first task")
                with TurnGroup():
                    yield Static("a tool call\nover two lines", classes="tool")
                    yield AssistantMessage(ANSWER, call_id="whole")
                yield UserMessage("the second task")
                with TurnGroup():
                    yield Static("another tool call", classes="tool")
                    yield AssistantMessage("", call_id="streamed")


async def _stream_at_the_end(pilot, app: App[None]) -> None:
    """ANSWER streamed into the last answer, the view kept at the end as the transcript keeps it."""
    streamed = app.query(AssistantMessage).last()
    for start in range(0, len(ANSWER), 40):
        await streamed.write(ANSWER[start : start + 40])
        app.query_one(VerticalScroll).scroll_end(animate=False)
        await pilot.pause()
    await streamed.end()
    await pilot.pause()


def _turn_places(app: App[None]) -> list[tuple[str, tuple[int, int, int, int]]]:
    return [(type(widget).__name__, tuple(widget.region)) for widget in app.screen.walk_children()]


async def test_turn_groups_and_chapters_are_arranged_as_textual_arranges_them(monkeypatch) -> None:
    """A turn's group and a chapter are arranged against a height of 0, from their last unchanged
    block: every arrangement is Textual's own of the same blocks (the group's ``process_layout``
    applied), and the screen is the one Textual's arrangement at the group's own height gives."""
    from textual._arrange import arrange

    from widgets.stacked_blocks import OwnHeights, StackedBlocks
    from widgets.turn_group import TurnGroup

    checked: list[str] = []
    original = StackedBlocks.arrange

    def compared(self, parent, size, optimal):
        ours = original(self, parent, size, optimal)
        textual = arrange(parent, list(parent.displayed_children), size, parent.screen.size, optimal=optimal)
        assert [(p.widget, p.region, p.margin) for p in ours.placements] == [
            (p.widget, p.region, p.margin) for p in textual.placements]
        assert ours.total_region == textual.total_region
        checked.append(type(parent).__name__)
        return ours

    monkeypatch.setattr(StackedBlocks, "arrange", compared)
    app = Turns()
    async with app.run_test(size=(70, 60)) as pilot:
        await _stream_at_the_end(pilot, app)
        assert all(group._own_heights(group) for group in app.query(TurnGroup))  # the fast path is the one taken
        ours = _turn_places(app), [strip.text for strip in app.screen._compositor.render_strips()]
    assert {"TurnGroup", "TurnChapter"} <= set(checked)

    monkeypatch.setattr(OwnHeights, "__call__", lambda self, parent: False)  # Textual's own arrangement
    app = Turns()
    async with app.run_test(size=(70, 60)) as pilot:
        await _stream_at_the_end(pilot, app)
        assert (_turn_places(app), [strip.text for strip in app.screen._compositor.render_strips()]) == ours
