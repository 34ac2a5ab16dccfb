"""``cockpit import PATH...``: sessions written by other agents, into the same database.

Claude Code transcripts (``~/.claude/projects/<project>/``, sub-agents
included), Codex CLI rollouts (``~/.codex/sessions/``), Gemini CLI sessions
(``~/.gemini/tmp/<hash>/chats/``), Aider chat histories
(``.aider.chat.history.md``), mini-swe-agent trajectories (``*.traj.json``, v1
and v2), SWE-agent trajectories (``*.traj``), OpenHands trajectories (event
lists) and opencode sessions (``~/.local/share/opencode/storage``);
files or folders, told apart by their content. One line per session (a file
may hold several); a file already imported is skipped. A broken or unknown file
named on the command line is reported with its line, nothing of it is written,
the other files are still imported, and the exit code is 2. Files in a folder
that no format recognises are listed as not imported (the exit code stays 0).

``--discover`` imports from every agent's default location that exists on this
machine (:mod:`app.import_discovery`): only what is new is written (a file already
imported is skipped, one that changed since replaces its import). On a terminal a
progress bar shows the files read; otherwise one line per file.
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
        help="import sessions from Claude Code, Codex CLI, Gemini CLI, Aider, opencode, OpenHands, SWE-agent or mini-swe-agent",
        description="Import other agents' sessions: Claude Code transcripts (~/.claude/projects/*/), "
        "Codex CLI rollouts (~/.codex/sessions/), Gemini CLI sessions (~/.gemini/tmp/*/chats/), "
        "Aider chat histories (.aider.chat.history.md), opencode sessions (~/.local/share/opencode/storage), "
        "OpenHands trajectories, SWE-agent (*.traj) and mini-swe-agent (*.traj.json) trajectories. "
        "The format is recognised from each file's content.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="a session file or a folder of them")
    parser.add_argument("--discover", action="store_true",
                        help="import what is new from every agent's default location on this machine (~/.claude/projects, "
                        "~/.codex/sessions, ~/.gemini/tmp, ~/.local/share/opencode/storage, ./.aider.chat.history.md)")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    if args.discover:
        return _discover(args)
    if not args.paths:
        print("cockpit: import needs a PATH, or --discover", file=sys.stderr)
        return EXIT_USAGE
    from storage.importers import find_sessions

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
        lines, broken = _import(db, path)
        for line in lines:
            print(line)
        if broken:
            print(broken, file=sys.stderr)
            failed = True
    return EXIT_USAGE if failed else 0


def _import(db, path: Path) -> tuple[list[str], str]:
    """One file: its lines, and what was wrong when it could not be imported."""
    from app.import_analysis import enrich
    from storage.importers import ImportFormatError, import_sessions

    try:
        return [_line(result) for result in import_sessions(db, path, enrich=enrich)], ""
    except ImportFormatError as exc:
        return [], f"cockpit: cannot import {exc}"


def _discover(args: argparse.Namespace) -> int:
    from app.import_discovery import locations, session_files

    found = locations(workspace=Path.cwd())
    if not found:
        print("cockpit: no sessions of Claude Code, Codex CLI, Gemini CLI, opencode or Aider found in their default locations")
        return 0
    for location in found:
        print(f"{location.agent:<12} {location.path}")
    files = session_files(found).files + [p for p in args.paths if p.exists()]
    db = open_database(args)
    report = _Progress(len(files)) if sys.stdout.isatty() else None
    skipped = failed = 0
    for number, path in enumerate(files, start=1):
        lines, broken = _import(db, path)
        new = [line for line in lines if not line.startswith("skipped")]
        skipped += not new and not broken
        failed += bool(broken)
        if report is not None:
            report.advance(path, new + ([broken] if broken else []))
        else:
            for line in new or ([] if broken else [f"[{number}/{len(files)}] unchanged {path}"]):
                print(line)
            if broken:
                print(broken, file=sys.stderr)
    if report is not None:
        report.close()
    print(f"{len(files) - skipped - failed} files imported, {skipped} unchanged since their import"
          + (f", {failed} could not be read" if failed else ""))
    return 0


class _Progress:
    """A rich progress bar over the files; the lines of what was imported are printed above it."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
        self.task = self.progress.add_task("", total=total)
        self.progress.start()

    def advance(self, path: Path, lines: list[str]) -> None:
        for line in lines:
            self.progress.console.print(line, markup=False, highlight=False)
        self.progress.update(self.task, advance=1, description=path.name[-40:])

    def close(self) -> None:
        self.progress.stop()


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
