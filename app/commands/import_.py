"""``cockpit import PATH...``: sessions written by other agents, into the same database.

Claude Code transcripts (``~/.claude/projects/<project>/``, sub-agents
included), Codex CLI rollouts (``~/.codex/sessions/``), Gemini CLI sessions
(``~/.gemini/tmp/<hash>/chats/``), Aider chat histories
(``.aider.chat.history.md``) and mini-swe-agent trajectories (``*.traj.json``);
files or folders, told apart by their content. One line per session (a file
may hold several); a file already imported is skipped. A broken or unknown file
named on the command line is reported with its line, nothing of it is written,
the other files are still imported, and the exit code is 2. Files in a folder
that no format recognises are listed as not imported (the exit code stays 0).
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
        help="import sessions from Claude Code, Codex CLI, Gemini CLI, Aider or mini-swe-agent",
        description="Import other agents' sessions: Claude Code transcripts (~/.claude/projects/*/), "
        "Codex CLI rollouts (~/.codex/sessions/), Gemini CLI sessions (~/.gemini/tmp/*/chats/), "
        "Aider chat histories (.aider.chat.history.md), mini-swe-agent trajectories (*.traj.json). "
        "The format is recognised from each file's content.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a session file or a folder of them")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.import_analysis import enrich
    from storage.importers import ImportFormatError, find_sessions, import_sessions

    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"cockpit: {path}: no such file or folder", file=sys.stderr)
    found = find_sessions(p for p in args.paths if p.exists())
    for unknown in found.unrecognised:
        print(f"not imported {unknown.path}: {unknown.reason}")
    if not found.files and not missing:
        print("cockpit: no session files of a known format found in " + ", ".join(map(str, args.paths))
              + (f" ({len(found.unrecognised)} files of unknown format)" if found.unrecognised else ""), file=sys.stderr)
        return EXIT_USAGE
    db = open_database(args)
    failed = bool(missing)
    for path in found.files:
        try:
            results = import_sessions(db, path, enrich=enrich)
        except ImportFormatError as exc:
            print(f"cockpit: cannot import {exc}", file=sys.stderr)
            failed = True
            continue
        for result in results:
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
        + (f"{result.tokens_in:,} in / {result.tokens_out:,} out tokens" if result.counted_calls else "no token counts recorded")
        + parent
    )
