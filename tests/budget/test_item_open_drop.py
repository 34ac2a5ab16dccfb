"""The Context budget's open and drop of items that are not tool results: the environment section
and an ``@path`` attachment show their text; an attachment can be dropped (announced like a tool
result's drop), once."""

from __future__ import annotations

from app.agent.events.mentions import ATTACHMENT_MARKER, is_task
from app.agent.prompts import ENVIRONMENT_ITEM, system_message, system_sections
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import Recorder, budget, state_from, tool_defs

CALC = f'{ATTACHMENT_MARKER}file] @calc.py\n<file path="calc.py">\n' + "def add(a, b):\n    return a - b\n" * 40 + "</file>"


def conversation():
    b = budget(window=64_000)
    content = b.layouts.add(system_sections("Workspace: /tmp/trial\nDate: today", []))
    messages = [system_message(content), {"role": "user", "content": "look @calc.py"}, {"role": "user", "content": CALC}]
    return b, messages


def test_open_finds_the_text_of_the_environment_and_of_an_attachment():
    b, messages = conversation()
    items = {item["label"]: item for item in b.measure(messages, tool_defs()).top_items()}
    assert items["@calc.py"]["kind"] == "mention"
    assert b.item_text(messages, ENVIRONMENT_ITEM) == "Workspace: /tmp/trial\nDate: today"
    assert b.item_text(messages, items["@calc.py"]["id"]) == CALC
    assert b.item_text(messages, "m9") is None  # gone: no text


def test_an_attachment_can_be_dropped_once_and_it_is_announced():
    b, messages = conversation()
    recorder = Recorder()
    b.measure(messages, tool_defs())
    item_id = next(i["id"] for i in b.measure(messages, tool_defs()).top_items() if i["label"] == "@calc.py")
    dropped = b.drop_item(messages, item_id, emit=recorder)
    assert [e.type for e in recorder.events] == ["compaction_performed", "context_measured"]
    (change,) = recorder.events[0].items
    assert (change["kind"], change["label"], change["action"]) == ("mention", "@calc.py", "dropped")
    message = dropped[2]
    assert "def add" not in message["content"] and "@calc.py" in message["content"] and not is_task(message)
    after = {i["label"]: i for i in recorder.events[1].items}
    assert after["@calc.py"]["tokens"] < change["tokens_before"] / 10
    assert b.drop_item(dropped, item_id, emit=recorder) == dropped  # dropped already: nothing changes
    assert len(recorder.events) == 2


async def test_d_on_an_attachment_asks_for_the_drop_and_t_says_why_not():
    b, messages = conversation()
    recorder = Recorder()
    recorder(b.measure(messages, tool_defs()).to_event(turn=1))
    app = PaneApp(state_from(recorder.events))
    async with app.run_test(size=(100, 30)) as pilot:
        labels = [item["label"] for item in state_from(recorder.events).top_items()]
        app.query_one("#top").highlighted = labels.index("@calc.py")
        await pilot.press("d")
        await pilot.press("t")
        await pilot.pause()
        assert [(a.action, a.item_id) for a in app.actions] == [("drop", "m2")]


class _Agent:
    def __init__(self) -> None:
        self.budget, self.messages = conversation()
        self.resilience = None


class _Session:
    def __init__(self) -> None:
        self.agent = _Agent()


class _LiveApp(PaneApp):
    """The app's part LivePanes needs: a transcript (empty here: no tool blocks) and screens."""

    def compose(self):
        from widgets.transcript import Transcript

        yield Transcript(id="transcript")
        yield from super().compose()

    @property
    def transcript(self):
        from widgets.transcript import Transcript

        return self.query_one(Transcript)


async def test_o_opens_the_environment_and_an_attachment_as_the_model_gets_them():
    from textual.widgets import Static

    from app.tui.live_panes import LivePanes
    from widgets.context_budget_help import ContextBudgetHelp

    app = _LiveApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panes = LivePanes(app, _Session())  # type: ignore[arg-type]
        for item_id, title, text in ((ENVIRONMENT_ITEM, "environment", "Date: today"), ("m2", "m2", "def add(a, b):")):
            panes.open_item(item_id)
            await pilot.pause()
            assert isinstance(app.screen, ContextBudgetHelp)
            assert title in str(app.screen.query_one("#help-title", Static).render())
            assert text in str(app.screen.query_one("#help-body", Static).render())
            await pilot.press("escape")
            await pilot.pause()
        panes.open_item("m9")
        await pilot.pause()
        assert not isinstance(app.screen, ContextBudgetHelp)
