"""``cockpit report [--by GROUP] [--since WHEN] [--json | --csv]``: usage across every stored session.

Tokens, cost, cache hit rate, retry tax, wasted tokens, loop hits and compactions by day, week,
month, model, project, source or role (sums over the stored model calls: ``storage/report.py``).
Imported sessions count under their own source. Unpriced usage is listed apart, never as $0.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from app.commands.common import EXIT_USAGE, clear_errors, open_database
from app.commands.report_view import GROUPS

BY_HELP = "day, week (from Monday), month (UTC), model, project (workspace), source (cockpit, claude-code, …) or role"


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser("report", help="usage across every session: tokens, cost, cache, retry tax")
    parser.add_argument("--by", default="day", choices=GROUPS, help=BY_HELP)
    parser.add_argument("--since", metavar="WHEN", help="only calls since a date (2026-11-01, 2026-11-01T09:00) "
                        "or a time ago (24h, 7d, 4w); UTC")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="the report as JSON (rows, total, unpriced)")
    shape.add_argument("--csv", action="store_true", help="one CSV row per group; an unknown value is an empty cell")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.commands.since import parse_since
    from storage.report import usage_report

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"cockpit report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = usage_report(open_database(args), by=args.by, since=since)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif args.csv:
        write_csv(report, sys.stdout)
    else:
        print_table(report)
    return 0


def write_csv(report: dict[str, Any], out: Any) -> None:
    from storage.report import METRICS

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([report["by"], *METRICS])
    for row in report["rows"]:
        writer.writerow([row["key"], *("" if row[name] is None else row[name] for name in METRICS)])


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console

    from app.commands.report_view import COLUMNS, columns_for, report_notes, report_table, unpriced_lines

    console = Console()
    columns = columns_for(console.width) if console.is_terminal else None  # piped: every column, whole
    if not console.is_terminal:
        console = Console(width=160)
    if not report["rows"]:
        since = f" since {report['since']}" if report["since"] else ""
        console.print(f"No model calls{since}. Run `cockpit` or import sessions with `cockpit import`.")
        return
    console.print(report_table(report, columns))
    hidden = [header for name, header in COLUMNS if columns is not None and name not in columns]
    shown_all = [f"In a wider terminal, or with --csv / --json: {', '.join(hidden)}."] if hidden else []
    for line in [*unpriced_lines(report), *report_notes(report), *shown_all]:
        console.print(line, highlight=False, markup=False)  # plain text: "[pricing]" is no markup
