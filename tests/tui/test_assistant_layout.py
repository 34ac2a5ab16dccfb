"""An answer's blocks are arranged against a height of 0 (``AssistantMessage.arrange``), so a
streamed answer does not measure every block again on each frame: the blocks must land exactly
where Textual's own arrangement puts them, streamed or not."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets.markdown import MarkdownBlock

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
