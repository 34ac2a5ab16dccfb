"""``cockpit mcp list`` and ``cockpit mcp approve``: the MCP servers of a workspace.

``list`` starts every server that may start (the config file's, and the project's the user
approved), shows its state, tool count and the tokens its tool definitions take, then stops
them. ``approve`` approves the project's ``.mcp.json`` servers (all of them, or those named)
for this folder and their current definitions; a changed definition needs approving again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.common import EXIT_USAGE, clear_errors

if TYPE_CHECKING:
    from app.mcp_servers import ListedServer

WORKSPACE = (("--workspace",), {"type": Path, "default": Path.cwd(), "help": "the project folder (default: .)"})


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_shared

    parser = subparsers.add_parser("mcp", help="MCP servers: list them, approve a project's",
                                   description="The MCP servers of the config file and of the project's .mcp.json.")
    commands = parser.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="configured servers: source, approval, state, tools, definition tokens")
    listing.add_argument("--json", action="store_true", help="one JSON object per server")
    add_shared(listing, [WORKSPACE])
    listing.set_defaults(func=run_list)
    approve = commands.add_parser("approve", help="approve the project's .mcp.json servers for this folder")
    approve.add_argument("names", nargs="*", metavar="NAME", help="the servers to approve (default: all of them)")
    add_shared(approve, [WORKSPACE])
    approve.set_defaults(func=run_approve)


@clear_errors
def run_list(args: argparse.Namespace) -> int:
    from app.mcp_servers import configured_servers, listed_servers, table_lines
    from app.runtime import resolve_workspace
    from app.settings import load_settings

    settings = load_settings()
    manager = configured_servers(settings, resolve_workspace(args.workspace))
    try:
        manager.start()
        listed, tokenizer = listed_servers(settings, manager, settings.model or "")
    finally:
        manager.close()
    for problem in manager.problems:
        print(f"cockpit: {problem}", file=sys.stderr)
    if args.json:
        for server in listed:
            print(json.dumps(_as_dict(server, tokenizer), ensure_ascii=False))
    else:
        print("\n".join(table_lines(listed, tokenizer)))
    return 0


@clear_errors
def run_approve(args: argparse.Namespace) -> int:
    from app.mcp_servers import approve_project
    from app.runtime import resolve_workspace

    workspace = resolve_workspace(args.workspace)
    done = approve_project(workspace, args.names)
    for problem in done.problems:
        print(f"cockpit: {problem}", file=sys.stderr)
    if done.unknown:
        print(f"cockpit: no server {', '.join(map(repr, done.unknown))} in {workspace}/.mcp.json", file=sys.stderr)
        return EXIT_USAGE
    if not done.approved:
        print(f"No MCP servers to approve in {workspace}/.mcp.json.")
    for server in done.approved:
        print(f"approved {server.name}: {server.target}")
    return 0


def _as_dict(server: "ListedServer", tokenizer: str) -> dict[str, Any]:
    row = server.row
    return {"name": row.config.name, "source": row.config.source, "origin": row.config.origin,
            "transport": row.config.transport, "target": row.config.target, "approved": server.approved,
            "state": row.state.value, "tools": row.tools, "definition_tokens": server.definition_tokens,
            "tokenizer": tokenizer, "error": row.error or None}
