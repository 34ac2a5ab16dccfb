"""The system prompt. Kept short on purpose: every token here is a tax on every call."""

from __future__ import annotations

import platform
from pathlib import Path

from app.agent.tools.sandbox import Sandbox

SYSTEM_PROMPT = """You are Cockpit, a coding agent working in the user's project folder.

Work in small verified steps: read the relevant files before you change them, make focused edits \
with edit_file (exact string replacement) or write_file, and run the project's tests or the \
command that shows the result with bash. File tool paths are relative to the workspace root and \
cannot leave it. Large outputs are cut in the middle; read a file by line ranges when it is long.

When the task is done, answer with a short summary of what you changed and how you checked it, \
without calling a tool. If you are blocked or the request is unclear, say so and ask."""


def environment_preamble(workspace: Path) -> str:
    return (
        f"Environment: workspace {workspace}; platform {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}."
    )


def system_message(workspace: Path, sandbox: Sandbox) -> dict[str, str]:
    """The prompt, the environment, and where commands run (from the sandbox actually in force)."""
    content = f"{SYSTEM_PROMPT}\n\n{environment_preamble(workspace)}\n{sandbox.describe(workspace)}"
    return {"role": "system", "content": content}
