"""The project instructions in the Context budget: their own category, one item per file, true figures.

Every figure is checked against an independent count: tiktoken's o200k_base, loaded
by the test server's helper (not through the app's tokenizer), over the text the
test writes out itself.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.agent.budget.budget import ContextBudget
from app.agent.budget.config import BudgetConfig
from app.agent.instructions.project import ProjectInstructions
from app.agent.tools.sandbox import default_sandbox
from tests.support.openai_server import encoding

ROOT_RULES = "# Rules\n\nRun `make test` before you answer. Style: @docs/style.md"
STYLE = "Four spaces, no tabs.\nShort functions."


def independent(text: str) -> int:
    return len(encoding("o200k_base").encode(text, disallowed_special=()))


def project(tmp_path: Path) -> tuple[ProjectInstructions, ContextBudget, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "AGENTS.md").write_text(ROOT_RULES + "\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "style.md").write_text(STYLE)
    (repo / "pkg").mkdir()
    (repo / "pkg" / "CLAUDE.md").write_text("Package rule.")
    budget = ContextBudget("openai/gpt-4o", BudgetConfig(), advertised_window=128_000)
    instructions = ProjectInstructions(repo / "pkg", layouts=budget.layouts, counter=budget,
                                       git=lambda _ws: "branch main, 3 modified, 1 untracked",
                                       today=lambda: date(2026, 12, 1))
    return instructions, budget, instructions.start(default_sandbox())


EXPECTED_SECTIONS = [  # written out by hand: what each file costs, header and separator included
    ("instructions:AGENTS.md", f"# Project instructions from AGENTS.md\n\n{ROOT_RULES}\n\n"),
    ("instructions:docs/style.md", f"# Instructions from docs/style.md (imported by AGENTS.md)\n\n{STYLE}\n\n"),
    ("instructions:pkg/CLAUDE.md", "# Project instructions from pkg/CLAUDE.md\n\nPackage rule."),
]


def test_the_instructions_category_is_the_count_of_the_files_text(tmp_path: Path) -> None:
    instructions, budget, message = project(tmp_path)
    content = message["content"]
    assert content.endswith("".join(text for _, text in EXPECTED_SECTIONS))
    snapshot = budget.measure([message], [])
    categories = {c["key"]: c for c in snapshot.categories()}
    expected = sum(independent(text) for _, text in EXPECTED_SECTIONS)
    assert categories["instructions"]["local_tokens"] == categories["instructions"]["tokens"] == expected
    assert categories["instructions"]["label"] == "project instructions"
    # The rest of the message (framing, role, prompt, environment) is the system prompt's.
    framing = 3 + independent("system")
    assert categories["system"]["tokens"] == framing + independent(content) - expected
    # Counting section by section loses nothing: the message costs what its whole text costs.
    assert snapshot.local_total == framing + independent(content) + 3  # + the reply's priming


def test_one_item_per_file_and_the_environment_as_an_item_of_its_own(tmp_path: Path) -> None:
    instructions, budget, message = project(tmp_path)
    items = {item["id"]: item for item in budget.measure([message], []).positioned}
    for item_id, text in EXPECTED_SECTIONS:
        assert items[item_id]["tokens"] == independent(text)
        assert items[item_id]["kind"] == "instructions" and items[item_id]["position"] == "start"
    environment = instructions.environment
    assert "date 2026-12-01; git: branch main, 3 modified, 1 untracked." in environment
    assert items["m0:environment"]["tokens"] == independent(environment + "\n\n")
    assert items["m0:environment"]["kind"] == "environment"
    assert sum(item["tokens"] for item in items.values()) == budget.measure([message], []).local_total - 3


def test_the_event_carries_the_same_figures(tmp_path: Path) -> None:
    instructions, budget, message = project(tmp_path)
    event = instructions.event("start")
    assert [(f["label"], f["tokens"]) for f in event.files] == [
        (item_id.removeprefix("instructions:"), independent(text)) for item_id, text in EXPECTED_SECTIONS
    ]
    assert event.files[1]["imported_by"] == "AGENTS.md" and event.files[1]["scope"] == "import"
    snapshot = budget.measure([message], [])
    assert event.tokens == snapshot.local["instructions"]
    assert event.environment_tokens == independent(instructions.environment + "\n\n")
    assert not event.approximate  # tiktoken counts exactly


def test_without_instruction_files_the_category_is_not_listed(tmp_path: Path) -> None:
    budget = ContextBudget("openai/gpt-4o", BudgetConfig(), advertised_window=128_000)
    instructions = ProjectInstructions(tmp_path, layouts=budget.layouts, counter=budget)
    snapshot = budget.measure([instructions.start(default_sandbox())], [])
    assert "instructions" not in {c["key"] for c in snapshot.categories()}
    assert {item["id"] for item in snapshot.positioned} == {"m0", "m0:environment"}
    assert not instructions.worth_saying


def test_a_system_message_nobody_built_is_counted_whole(tmp_path: Path) -> None:
    budget = ContextBudget("openai/gpt-4o", BudgetConfig(), advertised_window=128_000)
    snapshot = budget.measure([{"role": "system", "content": "You are another agent."}], [])
    assert [item["id"] for item in snapshot.positioned] == ["m0"]
    assert snapshot.local["system"] == 3 + independent("system") + independent("You are another agent.")
