"""``cockpit sessions [SEARCH] [--json]``: the stored sessions, newest first."""

from __future__ import annotations

import argparse
import json

from app.agent.events.format import cost_total
from app.commands.common import clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser("sessions", help="list stored sessions")
    parser.add_argument("search", nargs="?", help="only sessions whose prompts, answers or tool output contain this")
    parser.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--here", action="store_true", help="only sessions of the current folder")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from storage.queries import list_sessions
    from storage.store import mark_abandoned_sessions

    db = open_database(args)
    mark_abandoned_sessions(db)
    workspace = str(Path.cwd().resolve()) if args.here else None
    rows = list_sessions(db, search=args.search, workspace=workspace, limit=args.limit)
    rows = [_known(row) for row in rows]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "started", "status", "model", "steps", "tokens in/out", "cost", "title"):
        table.add_column(column, overflow="ellipsis", no_wrap=column != "title")
    for r in rows:
        table.add_row(
            r["id"],
            (r["started_at"] or "")[:16].replace("T", " "),
            r["status"],
            r["model"] or "",
            str(r["steps"]),
            "—" if r["tokens_in"] is None else f"{r['tokens_in']:,}/{r['tokens_out']:,}",
            cost_total(r["cost_usd"], unpriced=r["unpriced_calls"]),
            r["title"],
        )
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the titles away to fit 80 columns
        console = Console(width=160)
    if rows:
        console.print(table)
    elif args.search or args.here:  # there may be sessions, just none that match
        where = " in this folder" if args.here else ""
        matching = f" matching {args.search!r}" if args.search else ""
        console.print(f"No sessions{matching}{where}.", markup=False)
    else:
        console.print("No sessions yet. Start one with `cockpit` or `cockpit run \"task\"`.")
    return 0


def _known(row: dict) -> dict:
    """A session nobody had a price for has no dollars of retry tax, not $0 (tokens nobody counted are null
    already: ``storage.queries.SUMMARY_SQL``)."""
    return row if row["cost_usd"] is not None else {**row, "wasted_usd": None}
