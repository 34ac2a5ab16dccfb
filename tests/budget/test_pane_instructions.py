"""The Context budget pane with project instructions: their own category in the bar and the
legend, one item per file in the largest consumers. Built from a fixed system message (fixed
environment text, fixed files), measured by the real budget and folded from its events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import OptionList

from app.agent.events.budget_view import BudgetState
from app.agent.instructions.loader import InstructionFile
from app.agent.prompts import system_message, system_sections
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import budget, code, empty_session, grow, state_from, tool_defs
from widgets.context_budget import BudgetBar, tokens_text

SIZE = (40, 56)
ENVIRONMENT = ("Environment (at session start): workspace /home/dev/shop; platform Linux x86_64; Python 3.12.3; "
               "date 2026-12-01; git: branch main, 3 modified, 1 untracked.\nCommands (bash) run in an OS sandbox.")


def instruction_file(label: str, chars: int, seed: int, imported_by: str = "") -> InstructionFile:
    text = code(chars, seed)
    return InstructionFile(Path("/home/dev/shop") / label, label, "import" if imported_by else "project", text,
                           len(text), imported_by)


async def instructions_state() -> BudgetState:
    recorder = empty_session()
    b = budget()
    files = [
        instruction_file("AGENTS.md", 2_400, 1),
        instruction_file("docs/conventions.md", 1_200, 2, imported_by="AGENTS.md"),
        instruction_file("api/CLAUDE.md", 500, 3),
    ]
    messages = [system_message(b.layouts.add(system_sections(ENVIRONMENT, files))),
                {"role": "user", "content": "Add a discount field to the order API."}]
    messages = grow(messages, 2, 0, 1_800)
    await b.prepare(messages, tool_defs(), emit=recorder, summarize=None, turn=1)
    return state_from(recorder.events)


async def test_the_pane_lists_the_instructions_category_and_each_file() -> None:
    state = await instructions_state()
    m = state.measured
    category = next(c for c in m.categories if c["key"] == "instructions")
    files = [item for item in m.items if item["kind"] == "instructions"]
    assert sorted(item["label"] for item in files) == [
        "instructions: AGENTS.md", "instructions: api/CLAUDE.md", "instructions: docs/conventions.md"]
    assert category["tokens"] == sum(item["tokens"] for item in files)
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        assert f"instructions {tokens_text(category['tokens'])}" in str(app.query_one(BudgetBar).render())
        top = app.query_one("#top", OptionList)
        prompts = [str(top.get_option_at_index(i).prompt) for i in range(top.option_count)]
        assert any(p.startswith("instructions: AGENTS.md") for p in prompts)


def test_snapshot_with_project_instructions(snap_compare) -> None:
    state = asyncio.run(instructions_state())

    async def settle(pilot) -> None:
        await pilot.pause()

    assert snap_compare(PaneApp(state), terminal_size=SIZE, run_before=settle)
