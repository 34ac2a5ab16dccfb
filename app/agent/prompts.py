"""The system prompt. Kept short on purpose: every token here is a tax on every call.

The system message is built from sections (:class:`~app.agent.budget.layouts.Section`):
the prompt, the environment (workspace, platform, date, git, where commands
run), then each project instruction file under a header naming it. The budget
counts each section on its own, so the Context pane shows what each one costs.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from app.agent.budget.counter import INSTRUCTIONS, SYSTEM
from app.agent.budget.layouts import Section
from app.agent.instructions.discovery import USER
from app.agent.instructions.loader import IMPORT, InstructionFile
from app.agent.tools.sandbox import Sandbox

SYSTEM_PROMPT = """You are Cockpit, a coding agent working in the user's project folder.

Work in small verified steps: read the relevant files before you change them, make focused edits \
with edit_file (exact string replacement) or write_file, and run the project's tests or the \
command that shows the result with bash. File tool paths are relative to the workspace root and \
cannot leave it. Large outputs are cut in the middle; read a file by line ranges when it is long.

When the task is done, answer with a short summary of what you changed and how you checked it, \
without calling a tool. If you are blocked or the request is unclear, say so and ask."""

INSTRUCTIONS_INTRO = (
    "The user's and the project's instructions (AGENTS.md, CLAUDE.md and the files they import) follow the "
    "environment, each under a header naming its file; later files are closer to the workspace. Follow them."
)
SEPARATOR = "\n\n"  # ends every section but the last, so that each section's count adds up exactly
SYSTEM_ITEM = "m0"  # the system message's own item id (the counter's id for message 0)
ENVIRONMENT_ITEM = "m0:environment"


def environment_preamble(workspace: Path, git: str, today: date | None = None) -> str:
    """Workspace, platform, date and git, as of the session's start."""
    return (
        f"Environment (at session start): workspace {workspace}; platform {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}; date {(today or date.today()).isoformat()}; git: {git}."
    )


def environment_text(workspace: Path, sandbox: Sandbox, git: str, today: date | None = None) -> str:
    """The environment section: the preamble and where commands run (from the sandbox actually in force)."""
    return f"{environment_preamble(workspace, git, today)}\n{sandbox.describe(workspace)}"


def system_sections(environment: str, files: Sequence[InstructionFile]) -> list[Section]:
    """The system message, section by section (their texts joined are the message's content)."""
    prompt = f"{SYSTEM_PROMPT}{SEPARATOR}{INSTRUCTIONS_INTRO}" if files else SYSTEM_PROMPT
    sections = [
        Section(SYSTEM, SYSTEM_ITEM, SYSTEM, "system prompt", prompt),
        Section(SYSTEM, ENVIRONMENT_ITEM, "environment", "environment", environment),
    ]
    sections += [Section(INSTRUCTIONS, instruction_item(f), INSTRUCTIONS, f"instructions: {f.label}", instruction_text(f))
                 for f in files]
    return [
        Section(s.category, s.item_id, s.kind, s.label, s.text + SEPARATOR if i < len(sections) - 1 else s.text)
        for i, s in enumerate(sections)
    ]


def instruction_item(file: InstructionFile) -> str:
    return f"instructions:{file.label}"


def instruction_text(file: InstructionFile) -> str:
    """One instruction file under its header (the header names the file and who imports it)."""
    if file.scope == IMPORT:
        header = f"# Instructions from {file.label} (imported by {file.imported_by})"
    else:
        whose = "User" if file.scope == USER else "Project"
        header = f"# {whose} instructions from {file.label}"
    return f"{header}\n\n{file.text}" if file.text else header


def system_message(content: str) -> dict[str, str]:
    return {"role": "system", "content": content}
