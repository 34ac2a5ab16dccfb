"""``cockpit import PATH...``: sessions written by other agents, into the same database.

Claude Code transcripts (``~/.claude/projects/<project>/``, sub-agents
included), Codex CLI rollouts (``~/.codex/sessions/``) and mini-swe-agent
trajectories (``*.traj.json``); files or folders. One line per session; a
file already imported is skipped. A broken or unknown file is reported with
its line, nothing of it is written, the other files are still imported, and
the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import EXIT_USAGE, clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser(
        "import",
        help="import sessions from Claude Code, Codex CLI or mini-swe-agent",
        description="Import other agents' sessions: Claude Code transcripts (~/.claude/projects/*/), "
        "Codex CLI rollouts (~/.codex/sessions/), mini-swe-agent trajectories (*.traj.json).",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a session file or a folder of them")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.import_analysis import enrich
    from storage.importers import ImportFormatError, discover, import_path

    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"cockpit: {path}: no such file or folder", file=sys.stderr)
    files = discover(p for p in args.paths if p.exists())
    if not files and not missing:
        print("cockpit: no session files (*.jsonl, *.traj.json) found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return EXIT_USAGE
    db = open_database(args)
    failed = bool(missing)
    for path in files:
        try:
            result = import_path(db, path, enrich=enrich)
        except ImportFormatError as exc:
            print(f"cockpit: cannot import {exc}", file=sys.stderr)
            failed = True
            continue
        print(_line(result))
    return EXIT_USAGE if failed else 0


def _line(result) -> str:
    if result.status == "skipped":
        return f"skipped   {result.session_id}  {result.source:<14} {result.reason}: {result.path}"
    parent = f"  (sub-agent of {result.parent_id})" if result.parent_id else ""
    return (
        f"{result.status:<9} {result.session_id}  {result.source:<14} "
        f"{result.model_calls} model calls, {result.tool_calls} tool calls ({result.tool_calls_failed} failed"
        f"{f', {result.tool_calls_denied} denied' if result.tool_calls_denied else ''}), "
        f"{result.tokens_in:,} in / {result.tokens_out:,} out tokens{parent}"
    )
