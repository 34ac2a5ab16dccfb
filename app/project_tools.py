"""The tools a project leaves out: ``[tools] disabled = [...]`` in ``<workspace>/.cockpit/config.toml``.

::

    [tools]
    disabled = ["glob", "todo_write"]

A disabled tool is not sent to the model (its definition costs no tokens on any call) and cannot be
called. The entry sits in the project's own file, beside its ``[permissions]``, because it is about
this project (``cockpit tools disable NAME`` writes it; delete the line to undo). Leaving a tool out
only takes power away, so unlike a project's allow rules it needs no trust. Names that are no
tool of this session (an MCP server's tool whose server is off) are kept and simply match nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.permission_files import project_config, read_toml, write_table
from app.settings import ConfigError

if TYPE_CHECKING:
    from app.agent.tools.registry import ToolRegistry

TABLE, KEY = "tools", "disabled"
_HEADER = re.compile(r"\s*\[\s*tools\s*\]\s*(#.*)?")


def disabled_tools(workspace: Path) -> list[str]:
    """The names the project disables, as written; a :class:`ConfigError` (file and line) for a bad table."""
    path = project_config(workspace)
    data, text = read_toml(path)
    table = data.get(TABLE, {})
    if not isinstance(table, dict) or set(table) - {KEY}:
        raise ConfigError(f"{path}:{_line(text, '[tools')}: [tools] holds one key: disabled = [\"tool\", ...]")
    names = table.get(KEY, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{path}:{_line(text, KEY)}: [tools] disabled must be a list of tool names, "
                          'e.g. ["glob", "todo_write"]')
    return list(dict.fromkeys(names))


def write_disabled(workspace: Path, names: list[str]) -> Path:
    """Write ``[tools] disabled`` (the rest of the file stays as it was); the file written."""
    path = project_config(workspace)
    read_toml(path)  # a broken file is an error, never overwritten
    write_table(path, _HEADER, [f"[{TABLE}]", f"{KEY} = [{', '.join(json.dumps(n, ensure_ascii=False) for n in names)}]"])
    return path


def user_disabled(table: dict[str, Any]) -> list[str]:
    """``[tools] disabled`` of the user's own config.toml: tools left out of every project's sessions."""
    names = table.get(KEY, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError('[tools] disabled must be a list of tool names, e.g. ["glob", "todo_write"]')
    return list(names)


def disable_project_tools(features: dict[str, Any], workspace: Path, user: list[str] | None = None) -> list[str]:
    """Leave the disabled tools (the user's ``user``, then the project's) out of the session's registry
    (``features["tools"]``) and let the Context budget group tool definitions by server; the names left out."""
    tools: ToolRegistry = features["tools"]
    removed = tools.disable(list(dict.fromkeys([*(user or []), *disabled_tools(workspace)])))
    budget = features.get("budget")
    if budget is not None:
        if budget.recall_tool in removed:  # compaction must not point the model at a tool it lacks
            budget.recall_tool = None
        budget.tool_server = server_lookup(tools)
    return removed


def server_lookup(tools: ToolRegistry) -> Any:
    """name → the server its tool comes from (None: Cockpit's own tool, or no such tool)."""
    from app.agent.tools.registry import server_of

    def server(name: str) -> str | None:
        tool = tools.get(name)
        return server_of(tool) if tool is not None else None

    return server


def _line(text: str, needle: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), 1) if needle in line), 1)
