"""Copy the last answer or one of its code blocks (OSC 52): the clipboard gets exactly the text."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from app.agent.events.transcript_view import ANSWER, Entry
from app.tui.copy import code_blocks, last_answer, size
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until

ANSWER_TEXT = (
    "Two ways.\n\n```python\nimport os\nprint(os.getcwd())\n```\n\nor in the shell:\n\n"
    "~~~bash\npwd\n~~~\n"
)


def _notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_ctrl_y_copies_the_last_answer(harness, warm_imports):
    h = harness([{"text": "First answer."}, {"text": ANSWER_TEXT}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await pilot.press("ctrl+y")
        assert app.clipboard == ""
        assert any("no answer to copy" in m for m in _notices(app))
        await type_and_send(pilot, "one")
        await wait_idle(pilot, app, h)
        await type_and_send(pilot, "two")
        await wait_idle(pilot, app, h, turns=2)
        app.prompt.focus()
        await pilot.press("ctrl+y")  # from the prompt too: its redo does not take the key
        assert app.clipboard == ANSWER_TEXT
        assert any(m.startswith(f"Copied the last answer: {size(ANSWER_TEXT)}.") and "OSC 52" in m
                   for m in _notices(app))
        assert app.prompt.text == ""


async def test_the_palette_copies_a_chosen_code_block(harness, warm_imports):
    h = harness([{"text": ANSWER_TEXT}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "how")
        await wait_idle(pilot, app, h)
        names = [c.title for c in app.palette.commands()]
        assert "Copy last answer" in names and "Copy code block…" in names
        app.copier.choose_code_block()
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the choice of block")
        await pilot.press(*"bash")
        results = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: results.option_count == 1 and results.highlighted == 0, what="the bash block")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.clipboard == "pwd", what="the bash block copied")
        assert any(m.startswith("Copied code block 2 (bash): 1 line, 3 characters.") for m in _notices(app))


async def test_one_code_block_is_copied_at_once(harness, warm_imports):
    h = harness([{"text": "Run:\n\n```\nmake test\n```\n"}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "how")
        await wait_idle(pilot, app, h)
        app.copier.choose_code_block()
        assert app.clipboard == "make test"


def test_code_blocks_as_the_markdown_reader_sees_them():
    blocks = code_blocks(ANSWER_TEXT + "\n    indented code is no fence\n\n````md\n```\nnested\n```\n````\n")
    assert [(b.language, b.code) for b in blocks] == [
        ("python", "import os\nprint(os.getcwd())"), ("bash", "pwd"), ("md", "```\nnested\n```")]
    assert blocks[0].line == 3
    assert code_blocks("no code here") == []


def test_the_last_answer_skips_failed_and_empty_answers():
    entries = [Entry(ANSWER, 0, 0, text="kept"), Entry(ANSWER, 1, 1, text="partial", failed=True),
               Entry(ANSWER, 2, 2, text="  "), Entry("tool", 3, 3)]
    assert last_answer(entries) == "kept"
    assert last_answer([]) is None
    assert size("a\nb") == "2 lines, 3 characters" and size("x") == "1 line, 1 character"
