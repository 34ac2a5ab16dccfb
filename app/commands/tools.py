"""``cockpit tools``: the tool-definition tax of this project, and ``cockpit tools disable|enable NAME...``.

Every model call sends every tool's definition. The list shows each tool's definition in tokens
(the model's tokenizer, as the Context budget counts it; without a model, tiktoken's o200k_base, and
no dollars), the task tool when ``[agent] subagents`` is on (MCP servers' tools are not counted: the
list says how many servers are configured), how often the workspace's last sessions
called it, and what leaving it out saves per call (tokens, and dollars at the model's uncached input
price: with prompt caching the definitions are read from the cache at a fraction of it). ``disable``
writes ``[tools] disabled`` in ``.cockpit/config.toml`` (:mod:`app.project_tools`); the next session
neither sends nor offers those tools, and its Context budget shows the smaller fixed part.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_USAGE, clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option, add_shared

    parser = subparsers.add_parser("tools", help="tool definitions: tokens per call, calls, disable unused ones")
    parser.add_argument("action", nargs="?", choices=("list", "disable", "enable"), default="list",
                        help="list (default); disable or enable the tools named, for this project")
    parser.add_argument("names", nargs="*", metavar="NAME", help="tool names (disable, enable)")
    parser.add_argument("--last", type=_positive, default=20, metavar="N",
                        help="sessions of this project to count calls in (default 20)")
    parser.add_argument("--json", action="store_true", help="the list as JSON")
    add_shared(parser, [(("--model",), {"help": "count and price for this model (default: the configured one)"}),
                        (("--workspace",), {"type": Path, "default": Path.cwd(), "help": "the project (default: .)"})])
    add_db_option(parser)
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number, 1 or more")
    return int(text)


@dataclass(frozen=True)
class ToolRow:
    name: str
    tokens: int  # its definition, in the model's tokenizer
    usd_per_call: float | None  # the definition at the model's uncached input price; None: unpriced
    calls: int  # in the last sessions
    last_session_calls: int
    disabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tokens": self.tokens, "usd_per_call": self.usd_per_call, "calls": self.calls,
                "last_session_calls": self.last_session_calls, "disabled": self.disabled}


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app import project_tools
    from app.runtime import resolve_workspace, session_tools
    from app.settings import load_settings

    workspace = resolve_workspace(args.workspace or Path.cwd())
    disabled = project_tools.disabled_tools(workspace)
    if args.action == "list":
        if args.names:
            print("cockpit tools: names go with disable or enable", file=sys.stderr)
            return EXIT_USAGE
        return _list(args, workspace, disabled)
    if not args.names:
        print(f"cockpit tools {args.action}: name the tools, e.g. cockpit tools {args.action} glob", file=sys.stderr)
        return EXIT_USAGE
    known = set(session_tools(load_settings(), "").names())  # the names need no model
    if args.action == "disable":
        kept = list(dict.fromkeys([*disabled, *args.names]))
    else:
        kept = [name for name in disabled if name not in args.names]
    path = project_tools.write_disabled(workspace, kept)
    for name in args.names if args.action == "disable" else ():
        if name not in known:
            print(f"note: {name} is none of Cockpit's own tools; kept for a server's tool of that name", file=sys.stderr)
    print(f"{path}: [tools] disabled = {json.dumps(kept)}")
    return 0


DEFAULT_TOKENIZER = "o200k_base"  # without a model: tiktoken's encoding of GPT-4o and later OpenAI models


@dataclass(frozen=True)
class Counted:
    """What ``cockpit tools`` counted: for which model (None: none configured), with which tokenizer."""

    model: str | None
    tokenizer: str
    rows: list[ToolRow]
    sessions: int
    usage: Any
    kept: dict[str, str]  # tools never suggested for disabling, and why
    mcp_servers: int  # configured servers, whose tools are not counted here


def _rows(args: argparse.Namespace, workspace: Path, disabled: list[str]) -> Counted:
    """A row per tool of this workspace, the sessions counted and the usage."""
    from app.agent.budget.counter import MessageCounter
    from app.agent.budget.tokenizer import tokenizer_for
    from app.agent.mcp.config import all_servers
    from app.agent.pricing import Pricing
    from app.commands.common import run_options
    from app.model_select import NoModelConfigured
    from app.runtime import agent_config, pick_model, session_tools
    from app.settings import load_settings
    from storage.tool_usage import tool_usage

    settings = load_settings()
    options = run_options(args)
    try:
        model: str | None = pick_model(settings, options).model
    except NoModelConfigured:
        model = None  # definitions are counted all the same, with the default tokenizer
    tools = session_tools(settings, model or "")
    if agent_config(settings, options).subagents:  # the task tool is sent with every call too
        from app.agent.tools.task import TaskTool

        tools = tools.extended([TaskTool(None)])  # type: ignore[arg-type]  # its definition only: never run
    choice = str(settings.budget.get("tokenizer", "auto")) if model else DEFAULT_TOKENIZER
    tokenizer = tokenizer_for(model or "", choice)
    counter = MessageCounter(tokenizer.count)
    counter.update_tools(tools.schemas())
    pricing = Pricing.from_table(settings.pricing)
    usage = tool_usage(open_database(args), str(workspace), last=args.last)
    rows = [ToolRow(c.name, c.tokens, pricing.price(model, prompt_tokens=c.tokens).usd if model else None,
                    usage.calls.get(c.name, 0), usage.last_session.get(c.name, 0), c.name in disabled)
            for c in counter.tools]
    kept = {tool.name: str(tool.kept_because) for tool in tools if getattr(tool, "kept_because", None)}
    servers = all_servers(settings.mcp_servers, str(settings.path), workspace).servers
    return Counted(model, tokenizer.name, rows, len(usage.sessions), usage, kept,
                   sum(1 for server in servers if server.enabled))


def _list(args: argparse.Namespace, workspace: Path, disabled: list[str]) -> int:
    from app.agent.budget.counter import TOOLS_FRAMING
    from app.agent.events.format import UNPRICED, money

    counted = _rows(args, workspace, disabled)
    rows, sessions, usage = counted.rows, counted.sessions, counted.usage
    if args.json:
        print(json.dumps({"model": counted.model, "tokenizer": counted.tokenizer, "workspace": str(workspace),
                          "sessions": sessions, "model_calls": usage.model_calls, "disabled": disabled,
                          "mcp_servers_not_counted": counted.mcp_servers,
                          "tools": [row.as_dict() for row in rows]}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    recent = f"last {sessions} sessions" if sessions else "calls"
    for header in ("tool", "tokens", "last session", recent, "saving per call", ""):
        table.add_column(header, justify="left" if header in ("tool", "") else "right", no_wrap=True)
    for row in rows:
        saving = f"{row.tokens:,} tok · {money(row.usd_per_call) if row.usd_per_call is not None else UNPRICED}"
        note = "disabled" if row.disabled else ("never called" if sessions and not row.calls else "")
        table.add_row(row.name, f"{row.tokens:,}", f"{row.last_session_calls:,}" if sessions else "—",
                      f"{row.calls:,}" if sessions else "—", saving, note)
    # A terminal, or COLUMNS, sets the width the notes wrap to; piped without either: wide enough for the table.
    console = Console() if sys.stdout.isatty() or os.environ.get("COLUMNS") else Console(width=160)
    if counted.model is None:
        console.print(f"No model configured: counted with the {counted.tokenizer} tokenizer (Cockpit's default "
                      "without a model), dollars unpriced. Give --model to count for yours.", highlight=False)
    model = counted.model or "no model"
    console.print(f"Tool definitions for {model} in {workspace}: sent with every model call.", highlight=False)
    console.print(table)
    total = sum(row.tokens for row in rows if not row.disabled) + (TOOLS_FRAMING if rows else 0)
    console.print(f"Sent with every call: {total:,} tokens (the tools not disabled, and {TOOLS_FRAMING} of framing). "
                  "Dollars at the model's uncached input price: with prompt caching, most calls read these tokens "
                  "from the cache for less.", highlight=False)
    if counted.mcp_servers:
        servers = counted.mcp_servers
        console.print(f"MCP tools not counted: {servers} server{'' if servers == 1 else 's'} configured — "
                      "see /tools in a session.", highlight=False)
    for line in _advice(rows, sessions, usage.model_calls, counted.kept):
        console.print(line, highlight=False)
    return 0


def _advice(rows: list[ToolRow], sessions: int, model_calls: int, kept: dict[str, str]) -> list[str]:
    from app.agent.events.format import UNPRICED, money

    if not sessions:
        return ["No session of this project yet: calls are counted from its sessions."]
    never = [row for row in rows if not row.calls and not row.disabled]
    unused = [row for row in never if row.name not in kept]
    why = [f"Not suggested: {row.name} ({kept[row.name]})." for row in never if row.name in kept]
    if not unused:
        return why or [f"Every tool was called in the last {sessions} sessions."]
    tokens = sum(row.tokens for row in unused)
    prices = [row.usd_per_call for row in unused]
    usd = UNPRICED if None in prices else money(sum(p for p in prices if p is not None))
    return [f"Never called in the last {sessions} sessions ({model_calls:,} model calls): "
            f"{', '.join(row.name for row in unused)}.",
            f"Disabling them saves {tokens:,} tokens per call ({usd} at the uncached input price): "
            f"cockpit tools disable {' '.join(row.name for row in unused)}", *why]
