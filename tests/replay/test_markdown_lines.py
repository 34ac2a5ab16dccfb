"""An answer reads the same live, resumed and replayed: the replay screen's Markdown lines
(``widgets.markdown_lines``, Rich's renderer) match what ``AssistantMessage`` (Textual's Markdown
widget) puts on screen, built whole (resume) or streamed (live), with ordered and nested lists."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from widgets.assistant_message import AssistantMessage
from widgets.markdown_lines import markdown_lines

WIDTH = 100
ANSWER = "## Summary\n\nHere is what I found:\n\n" + "".join(
    f"{n}. Item **{n}**: the function `f{n}` returns a value.\n" for n in range(1, 12)
) + """
```python
def f(x):
    return x * 2
```

- bullet alpha
- bullet beta
  - nested gamma
    - deeper delta
1. ordered
   - bullet under an ordered item

> a quote

FINAL line.
"""


class Answers(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield AssistantMessage(ANSWER, call_id="whole")
            yield AssistantMessage("", call_id="streamed")


def text_lines(lines: list[str]) -> list[str]:
    return [line.rstrip() for line in lines if line.strip()]


async def test_replay_draws_an_answer_as_the_live_widget_does() -> None:
    app = Answers()
    async with app.run_test(size=(WIDTH, 120)) as pilot:
        whole, streamed = app.query(AssistantMessage)
        for start in range(0, len(ANSWER), 5):
            await streamed.write(ANSWER[start : start + 5])
        await streamed.end()
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        padding = whole.styles.padding.left
        on_screen = {
            message.call_id: text_lines([strips[y].text[padding:] for y in range(message.region.y, message.region.bottom)])
            for message in (whole, streamed)
        }
    replayed = text_lines([line.plain for line in markdown_lines(ANSWER, WIDTH - 2 * padding)])
    assert "  1. Item 1: the function f1 returns a value." in replayed
    assert " 11. Item 11: the function f11 returns a value." in replayed
    assert "  ▪ nested gamma" in replayed
    assert on_screen["streamed"] == on_screen["whole"]
    assert replayed == on_screen["whole"]
